import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '@voicebridge/protocol';
import { spokenWav } from '../src/audio-fixtures.ts';
import { baresipCall, type BaresipCall } from '../src/baresip.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { recognizeWav } from '../src/recognize.ts';
import { assertBridgeIdle, cseqMethod, describeRun, endedRecord, runSipp, statusOf } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { freePort } from '../../test/support/free-port.ts';
import { pcmuDecode } from '@voicebridge/rtp';
import { streamProblems } from '../../packages/agent/test/bot/stream-conformance.ts';
import { echoMedia, TestBot } from '../../packages/agent/test/bot/test-bot.ts';

const ECHO = '+15550181';
const CLOSER = '+15550182';
const GONE = '+15550183';
const HANGER = '+15550184';
const REPLIER = '+15550185';
const TRANSCRIBED = '+15550186';
/** The replying bot waits this long after the caller's last voiced frame (its own VAD) before it answers. */
const REPLY_AFTER_QUIET_FRAMES = 35;
const ACCOUNT = `AC${'7'.repeat(32)}`;
const TOKEN = 'twilio-compat-token-0123456789';

/**
 * The real bridge (`voicebridge start`) with `websocket` numbers pointing at real ws bots written
 * from Twilio's Media Streams reference (https://www.twilio.com/docs/voice/media-streams/websocket-messages),
 * called by baresip and SIPp: the caller hears an echo bot repeat its words, the bridge's stream
 * conforms message by message, a bot closing its socket ends the call with BYE, and a bot that is
 * not there gets the caller 503 before any answer.
 */
describe('real calls to websocket numbers (baresip, SIPp, real ws bots)', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let dir: string;
  let echo: TestBot;
  let closer: TestBot;
  let hanger: TestBot;
  let replier: TestBot;
  const calls: BaresipCall[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-websocket-call-'));
    echo = await TestBot.start();
    echo.onMessage = echoMedia;
    // Closes its socket normally 3 s after the stream starts, as a bot whose conversation is over.
    closer = await TestBot.start();
    closer.onMessage = (connection, message) => {
      if (message['event'] === 'media' && (message['media'] as { chunk: string }).chunk === '150')
        connection.socket.close(1000, 'conversation over');
    };
    hanger = await TestBot.start();
    // Answers each caller turn as a voice bot does: after 300 ms of voice, 700 ms of quiet by its own
    // energy VAD (-40 dBFS), then one second of tone.
    replier = await TestBot.start();
    const heard = { voiced: 0, quiet: 0 };
    replier.onMessage = (connection, message) => {
      if (message['event'] !== 'media') return;
      const frame = Buffer.from((message['media'] as { payload: string }).payload, 'base64');
      const pcm = new Int16Array(frame.length);
      pcmuDecode(frame, pcm);
      const power = pcm.reduce((sum, s) => sum + s * s, 0) / pcm.length / 32768 ** 2;
      if (power >= 1e-4) [heard.voiced, heard.quiet] = [heard.voiced + 1, 0];
      else heard.quiet++;
      if (heard.voiced < 15 || heard.quiet < REPLY_AFTER_QUIET_FRAMES) return;
      heard.voiced = 0;
      const tone = Buffer.from(Array.from({ length: 8000 }, (_, i) => (i % 8 < 4 ? 0x20 : 0xa0)));
      connection.send({ event: 'media', streamSid: message['streamSid'], media: { payload: tone.toString('base64') } });
    };
    bridge = await startBridge({
      env: { STT_POOL_SIZE: '2', TWILIO_COMPAT_ACCOUNT_SID: ACCOUNT, TWILIO_COMPAT_AUTH_TOKEN: TOKEN },
    });
    const unused = await freePort('tcp');
    for (const [number, url] of [
      [ECHO, echo.url('/media')],
      [CLOSER, closer.url('/media')],
      [GONE, `ws://127.0.0.1:${unused}/media`],
      [HANGER, hanger.url('/media')],
      [REPLIER, replier.url('/media')],
      [TRANSCRIBED, echo.url('/media')],
    ] as const) {
      const extra = number === HANGER ? ['--websocket-account-sid', ACCOUNT] : [];
      if (number === TRANSCRIBED) extra.push('--websocket-transcribe', 'true');
      const set = await bridge.cli([
        'numbers',
        'set',
        number,
        '--agent',
        'websocket',
        '--websocket-url',
        url,
        ...extra,
      ]);
      expect(set.code, set.stderr).to.equal(0);
    }
  });

  after(async () => {
    for (const call of calls) await call.cleanup();
    await bridge?.stop();
    await echo?.close();
    await closer?.close();
    await hanger?.close();
    await replier?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const recordOf = (sipCallId: string): Promise<CallRecord> => endedRecord(bridge, sipCallId);
  /** The number's call record once ended (and, with `bot`, once the agent wrote the bot stream). */
  async function lastRecord(number: string, bot = false): Promise<CallRecord> {
    return waitFor(
      `the ${number} call record ended`,
      15_000,
      async () => {
        const list = await bridge.cli(['calls', 'list', '--json']);
        const record = (JSON.parse(list.stdout) as CallRecord[]).find((r) => r.number === number);
        if (record?.status !== 'ended' || (bot && record.bot === undefined)) return undefined;
        return record;
      },
      { everyMs: 200 },
    );
  }

  it('a caller to the echo bot hears its own words back (recognised offline), and the stream conforms to Twilio’s', async () => {
    const mic = join(dir, 'words.wav');
    await spokenWav(mic, 'What are your opening hours? What is the price?', 1, 6);
    const call = await baresipCall({ uri: `sip:${ECHO}@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    const heard = (await recognizeWav(call.heardWav, ['hours', 'opening', 'price', 'what'])).join(' ');
    expect(heard, 'the words echoed by the bot').to.match(/\b(hours|opening|price)\b/);
    await echo.waitFor(() => echo.connections[0]?.closed !== undefined, 'the stream closed');
    const connection = echo.connections[0];
    expect(connection?.url).to.equal('/media');
    expect(streamProblems(connection?.messages ?? [])).to.deep.equal([]);
    const start = connection?.messages[1] as { start: { customParameters: Record<string, string> } };
    expect(start.start.customParameters).to.include({ to_number: ECHO });
    expect(start.start.customParameters['from_number']).to.equal('caller');
    expect(start.start.customParameters['sipCallId']).to.not.equal('');
    expect(echo.events('media').length, 'caller frames streamed').to.be.greaterThan(200);
    expect(connection?.closed?.code).to.equal(1000);
    const record = await lastRecord(ECHO, true);
    expect(record.agent).to.equal('websocket');
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    expect(record.bot).to.deep.include({ url: echo.url('/media'), callerFramesDropped: 0, botSamplesDropped: 0 });
    expect(record.bot?.callerFramesSent).to.equal(echo.events('media').length);
    // Every echo came back except those still in flight when the caller's BYE ended the stream: the
    // bot answers the last frames after our `stop` has left, and a closed stream plays nothing.
    const streamed = echo.events('media').length;
    expect(record.bot?.botMediaMessages, 'every echoed frame came back').to.be.within(streamed - 2, streamed);
    expect(record.bot?.connectedAtMs).to.be.below(record.answeredAtMs!);
  });

  it('a bot closing its socket (1000) ends the call: BYE to the caller, verdict bot-closed by agent', async () => {
    const mic = join(dir, 'long.wav');
    await spokenWav(mic, 'Hello there.', 1, 20);
    const call = await baresipCall({ uri: `sip:${CLOSER}@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    const record = await lastRecord(CLOSER, true);
    expect(record.verdict).to.deep.include({ by: 'agent', reason: 'bot-closed' });
    expect(record.bot).to.deep.include({ closeCode: 1000, closeReason: 'conversation over' });
    expect(record.endedAtMs! - record.answeredAtMs!, 'ended by the bot, not by the caller').to.be.below(10_000);
    expect(call.stdout).to.match(/terminated|closed/i);
  });

  it('a number whose bot is not there: SIPp gets 503 and never a 200; the record says bot-unreachable naming the host', async () => {
    const run = await runSipp({
      scenario: 'uac-refused.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: GONE,
      timeoutMs: 20_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const finals = run.messages.filter(
      (m) => m.direction === 'received' && cseqMethod(m) === 'INVITE' && (statusOf(m) ?? 0) >= 200,
    );
    expect([...new Set(finals.map((m) => statusOf(m)))]).to.deep.equal([503]);
    const record = await recordOf(run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'agent', reason: 'bot-unreachable', sipStatus: 503 });
    expect(record.verdict?.detail).to.match(/^bot unreachable: 127\.0\.0\.1:\d+ refused the connection$/);
    expect(record.answeredAtMs).to.equal(undefined);
    await assertBridgeIdle(bridge);
  });

  it("a bot hangs up Pipecat's way, by Twilio's REST call: Status=completed with Basic auth ends the call (BYE); a wrong password 401, a second hang-up 404 code 20404", async () => {
    const mic = join(dir, 'hang.wav');
    await spokenWav(mic, 'Hello there.', 1, 25);
    // baresip resolves when its call is over: the bot hangs up meanwhile.
    const calling = baresipCall({ uri: `sip:${HANGER}@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    await hanger.waitFor(() => hanger.events('media').length > 50, 'the call streaming', 20_000);
    const start = hanger.events('start')[0] as { start: { callSid: string; accountSid: string } };
    expect(start.start.accountSid).to.equal(ACCOUNT);
    // What Pipecat's TwilioFrameSerializer sends, with its base_url pointing at this node.
    const hangUp = (password: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${bridge.httpPort}/2010-04-01/Accounts/${ACCOUNT}/Calls/${start.start.callSid}.json`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${ACCOUNT}:${password}`).toString('base64')}` },
        body: new URLSearchParams({ Status: 'completed' }),
      });
    const wrong = await hangUp('not-the-token-at-all');
    expect(wrong.status).to.equal(401);
    expect(await wrong.json()).to.include({ code: 20003, status: 401 });
    const done = await hangUp(TOKEN);
    expect(done.status).to.equal(200);
    expect(await done.json()).to.include({ sid: start.start.callSid, account_sid: ACCOUNT, status: 'completed' });
    const call = await calling;
    calls.push(call);
    const record = await lastRecord(HANGER);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'operator-hangup' });
    expect(record.endedAtMs! - record.answeredAtMs!, 'ended by the REST call, not the caller').to.be.below(15_000);
    expect(call.stdout).to.match(/terminated|closed/i);
    const again = await hangUp(TOKEN);
    expect(again.status).to.equal(404);
    expect(await again.json()).to.include({ code: 20404, status: 404 });
  });

  it("a bot that answers each turn: the record times the caller's last voice → the bot's reply → its first RTP packet, and calls show prints the bot block and table", async () => {
    const mic = join(dir, 'turn.wav');
    await spokenWav(mic, 'What are your opening hours?', 1, 6);
    const call = await baresipCall({ uri: `sip:${REPLIER}@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    const record = await lastRecord(REPLIER, true);
    const turn = record.turns?.[0];
    expect(turn, 'a timed turn').to.not.equal(undefined);
    expect(turn?.voiceEndAtMs, "the caller's last voice").to.be.a('number');
    // The bot answered 700 ms of quiet after the words by its own VAD: our turn starts at the voice end, not at its reply.
    expect(turn!.sttFinalAtMs - turn!.voiceEndAtMs!, 'voice end → the bot reply (ms)').to.be.at.least(500);
    expect(turn?.firstRtpAtMs, 'the reply left the media worker').to.be.at.least(turn!.sttFinalAtMs);
    process.stdout.write(
      `      turn 1: voice end → bot reply ${turn!.sttFinalAtMs - turn!.voiceEndAtMs!} ms → first RTP ${turn!.firstRtpAtMs! - turn!.sttFinalAtMs} ms\n`,
    );
    const shown = await bridge.cli(['calls', 'show', record.callId]);
    expect(shown.stdout).to.match(new RegExp(`\\n {2}url +${replier.url('/media').replace(/[.]/g, '\\.')}\\n`));
    expect(shown.stdout).to.match(
      /\n {2}bot → caller +\d+ messages, [\d.]+s of audio, 0\.0s dropped at the queue's bound\n/,
    );
    expect(shown.stdout).to.match(/\nbot turn latency \(ms\):\nTURN +AT +VOICE→BOT +BOT→RTP +TOTAL +JITTER BUF\n1 /);
  });
  it('--websocket-transcribe: the record of a call to the echo bot has both sides transcribed offline, to similar words', async () => {
    const mic = join(dir, 'transcribed.wav');
    await spokenWav(mic, 'What are your opening hours? What is the price?', 1, 6);
    const call = await baresipCall({
      uri: `sip:${TRANSCRIBED}@127.0.0.1:${bridge.sipPort}`,
      micWav: mic,
      maxSeconds: 40,
    });
    calls.push(call);
    const ended = await lastRecord(TRANSCRIBED, true);
    // The recogniser gives its last words some seconds after the audio: they reach the record after the call.
    const record = await waitFor(
      'both sides in the transcript',
      20_000,
      async () => {
        const got = await bridge.cli(['calls', 'show', ended.callId, '--json']);
        const r = JSON.parse(got.stdout) as CallRecord;
        const speakers = new Set(r.transcript.map((e) => e.speaker));
        return speakers.size === 2 ? r : undefined;
      },
      { everyMs: 500 },
    ).catch(() => ended);
    const said = (speaker: string): string =>
      record.transcript
        .filter((e) => e.speaker === speaker)
        .map((e) => e.text)
        .join(' ');
    process.stdout.write(`      caller: ${said('caller')}\n      bot: ${said('agent')}\n`);
    process.stdout.write(
      bridge.logs
        .filter((l) => /"service":"agent"/.test(l) && !/"level":20/.test(l))
        .slice(-25)
        .join('\n') + '\n',
    );
    expect(said('caller'), "the caller's words").to.match(/\b(hours|opening|price)\b/);
    expect(said('agent'), "the bot's words (its echo of the caller)").to.match(/\b(hours|opening|price)\b/);
  });
});
