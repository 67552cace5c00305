import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '@voicebridge/protocol';
import { conversationWav, durationS, rmsDb, spokenWav, toneWav } from '../src/audio-fixtures.ts';
import { baresipCall, type BaresipCall } from '../src/baresip.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { recognizeWav } from '../src/recognize.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { portIsFree } from '../../test/support/free-port.ts';

/**
 * Real calls: the real bridge (`voicebridge start`: supervisor, signaling, media, agent processes)
 * called by a real SIP user agent (baresip), checking the audio itself with offline recognition.
 */
describe('real calls with baresip', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let dir: string;
  const calls: BaresipCall[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-real-call-'));
    bridge = await startBridge({ env: { GREETING_DELAY_MS: '200', STT_POOL_SIZE: '2' } });
  });

  after(async () => {
    for (const call of calls) await call.cleanup();
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function lastRecord(): Promise<CallRecord> {
    const list = await bridge.cli(['calls', 'list', '--json']);
    expect(list.code, list.stderr).to.equal(0);
    const records = JSON.parse(list.stdout) as CallRecord[];
    expect(records.length).to.be.greaterThan(0);
    return records[0] as CallRecord;
  }

  async function settledRecord(): Promise<CallRecord> {
    return waitFor(
      'the call record ended',
      10_000,
      async () => {
        const r = await lastRecord();
        return r.status === 'ended' ? r : undefined;
      },
      { everyMs: 100 },
    );
  }

  it("the scripted demo greets, answers two questions, and the record shows each turn's latency breakdown", async () => {
    const mic = join(dir, 'questions.wav');
    // Silence while the greeting plays (~7 s), a question, silence while its answer plays, the second.
    await conversationWav(mic, 8, [
      { text: 'What are your opening hours?', silenceAfterS: 8 },
      { text: 'What is the price?', silenceAfterS: 7 },
    ]);
    const call = await baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 60 });
    calls.push(call);
    const heard = (
      await recognizeWav(call.heardWav, [
        'hello',
        'demo',
        'hours',
        'prices',
        'address',
        'nine',
        'morning',
        'five',
        'evening',
        'monday',
        'friday',
        'basic',
        'plan',
        'ten',
        'dollars',
        'month',
      ])
    ).join(' ');
    expect(heard, 'greeting').to.match(/\b(hello|demo|prices|address)\b/);
    expect(heard, 'first answer').to.match(/\b(nine|morning|evening|monday|friday)\b/);
    expect(heard, 'second answer').to.match(/\b(basic|plan|ten|dollars|month)\b/);

    const record = await settledRecord();
    expect(record.number).to.equal('+15550100');
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    const show = await bridge.cli(['calls', 'show', record.callId, '--json']);
    expect(show.code, show.stderr).to.equal(0);
    const full = JSON.parse(show.stdout) as CallRecord;
    const agentLines = full.transcript.filter((t) => t.speaker === 'agent').map((t) => t.text);
    const callerLines = full.transcript.filter((t) => t.speaker === 'caller').map((t) => t.text);
    expect(agentLines[0]).to.match(/voice bridge demo/);
    expect(callerLines.join(' ')).to.match(/\bhours?\b/);
    expect(callerLines.join(' ')).to.match(/\bprices?\b/);
    expect(agentLines).to.include('We are open from nine in the morning to five in the evening, Monday to Friday.');
    expect(agentLines).to.include('The basic plan costs ten dollars a month.');
    expect(full.codec).to.equal('PCMU');
    expect(full.answeredAtMs).to.be.a('number');

    // One timed turn per answered question: every stage present and in order, the caller's voice
    // seen by the VAD, the jitter buffer depth reported by media on the frames.
    const turns = full.turns ?? [];
    expect(turns.map((t) => t.turn)).to.deep.equal(callerLines.map((_, i) => i + 1));
    expect(turns.length, JSON.stringify(full.transcript)).to.be.at.least(2);
    for (const t of turns) {
      const stages = [t.voiceEndAtMs, t.sttFinalAtMs, t.answerAtMs, t.ttsFirstAudioAtMs, t.firstRtpAtMs];
      expect(
        stages.every((ms) => typeof ms === 'number'),
        JSON.stringify(t),
      ).to.equal(true);
      expect(
        [...stages].sort((a, b) => a! - b!),
        JSON.stringify(t),
      ).to.deep.equal(stages);
      expect(t.jitterBufferMaxMs, JSON.stringify(t)).to.be.a('number');
      expect(t.interruptions).to.equal(0);
    }
    const table = await bridge.cli(['calls', 'show', record.callId]);
    expect(table.stdout).to.match(
      /^turn latency \(ms\):\nTURN +AT +VOICE→STT +STT→ANSWER +ANSWER→TTS +TTS→RTP +TOTAL +BARGE-INS +JITTER BUF\n1 +\+/m,
    );
    process.stdout.write(table.stdout.slice(table.stdout.indexOf('turn latency')));
  });

  it('the caller talks over a long scripted answer: the agent stops, the record counts the barge-in and keeps only the estimated heard part', async () => {
    const long =
      'We are open from nine in the morning to five in the evening on weekdays, from ten to two on Saturdays, we are closed on Sundays and on public holidays, and in August we close at noon every day for the whole month.';
    const set = await bridge.cli([
      'numbers',
      'set',
      '+15550177',
      '--agent',
      'scripted',
      '--greeting',
      'Hello.',
      '--answer',
      `hours=${long}`,
    ]);
    expect(set.code, set.stderr).to.equal(0);
    const mic = join(dir, 'barge-in.wav');
    // The answer lasts ~13 s; the caller starts talking over it ~3 s after asking.
    await conversationWav(mic, 3, [
      { text: 'What are your opening hours?', silenceAfterS: 4 },
      { text: 'Stop, stop. Wait a moment please, wait.', silenceAfterS: 8 },
    ]);
    const call = await baresipCall({ uri: `sip:+15550177@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 60 });
    calls.push(call);
    const record = await settledRecord();
    const full = JSON.parse((await bridge.cli(['calls', 'show', record.callId, '--json'])).stdout) as CallRecord;
    const cut = full.transcript.find(
      (t) => t.speaker === 'agent' && t.text.endsWith('[interrupted; estimated heard text]'),
    );
    expect(cut, JSON.stringify(full.transcript)).to.not.equal(undefined);
    const heard = cut!.text.slice(0, -'[interrupted; estimated heard text]'.length).trim();
    expect(long.startsWith(heard), heard).to.equal(true);
    expect(heard.length).to.be.lessThan(long.length);
    expect(full.transcript.map((t) => t.text)).to.not.include(long);
    expect(full.turns?.[0]?.interruptions, JSON.stringify(full.turns)).to.equal(1);
  });

  it('saying goodbye makes the bridge hang up (BYE from the bridge, verdict agent-hangup)', async () => {
    const mic = join(dir, 'goodbye.wav');
    await spokenWav(mic, 'Goodbye.', 8, 20, 'rms');
    const call = await baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    // The microphone file is 29 s long: a call that ended well before it was ended by the bridge.
    expect(await durationS(call.heardWav)).to.be.lessThan(25);
    const record = await settledRecord();
    expect(record.verdict).to.deep.include({ by: 'agent', reason: 'agent-hangup' });
    expect(call.stdout).to.match(/terminated|closed/i);
  });

  it('the echo number plays the caller back to itself', async () => {
    const mic = join(dir, 'tone.wav');
    // The greeting lasts ~3 s; then 3 s of 1 kHz tone, then silence until the file ends.
    await toneWav(mic, 3, 1000, 5);
    const call = await baresipCall({ uri: `sip:+15550199@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 30 });
    calls.push(call);
    const tone = await rmsDb(call.heardWav, 5.8, 1.5);
    const after = await rmsDb(call.heardWav, 8.6, 0.3);
    expect(tone, 'echoed tone level').to.be.greaterThan(-20);
    expect(after, 'silence after the tone').to.be.lessThan(-40);
    const record = await settledRecord();
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('leaves no live record, no job, no key without a TTL, and every RTP port free', async () => {
    const live = (JSON.parse((await bridge.cli(['calls', 'list', '--json'])).stdout) as CallRecord[]).filter(
      (r) => r.status !== 'ended',
    );
    expect(live).to.deep.equal([]);
    for (const list of ['wait', 'active', 'paused'])
      expect(await bridge.redis.llen(`${bridge.prefix}:bull:calls:${list}`), list).to.equal(0);
    for (const key of [
      ...(await bridge.redis.keys(`${bridge.prefix}:call:*`)),
      ...(await bridge.redis.keys(`${bridge.prefix}:sipcall:*`)),
    ])
      expect(await bridge.redis.ttl(key), key).to.be.greaterThan(0);
    // Within the quarantine (1 s in the harness) and a little more, every port of the range can be bound again.
    const ports = Array.from(
      { length: bridge.rtpRange.max - bridge.rtpRange.min + 1 },
      (_, i) => bridge.rtpRange.min + i,
    );
    const busy = async (): Promise<number[]> =>
      (await Promise.all(ports.map(async (port) => ((await portIsFree(port, 'udp')) ? undefined : port)))).filter(
        (port) => port !== undefined,
      );
    await waitFor('every RTP port released', 3000, async () => (await busy()).length === 0, { everyMs: 100 }).catch(
      () => undefined,
    );
    expect(await busy()).to.deep.equal([]);
  });
});
