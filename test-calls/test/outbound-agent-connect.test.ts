import { expect } from 'chai';
import { pino } from 'pino';
import { CallRunner, FliteTts } from '@voicebridge/agent';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { newCallId, type CallRecord, type DialOutcome } from '@voicebridge/protocol';
import { targetFromUri } from '@voicebridge/signaling';
import { ScriptedStt } from '../../packages/agent/test/agents/llm-call-harness.ts';
import { TestBot } from '../../packages/agent/test/bot/test-bot.ts';
import { RealtimeWireServer } from '../../packages/agent/test/realtime/realtime-wire-server.ts';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import { describeRun, runSipp, type SippResult } from '../src/sipp.ts';
import { freePort, portIsFree } from '../../test/support/free-port.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });
const NUMBER = '+15550188';
const BOT_NUMBER = '+15550189';
const GREETING = 'Hello, this is the pharmacy calling about your order.';

/** One second of a 440 Hz tone: the model's spoken greeting, as audio deltas. */
function tone(): Int16Array {
  return Int16Array.from({ length: 8000 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
}

/**
 * A call we place to a `realtime` number's callee (SIPp ringing 2.5 s, then answering): the agent is
 * claimed and its config checked before the INVITE, but the model's socket opens only at the
 * answer, never while the phone rings; the greeting waits for the callee; a model that cannot be
 * reached at the answer ends the call with our BYE, verdict `model-unreachable`. The model is a local
 * OpenAI Realtime server (packages/agent/test/realtime/realtime-wire-server.ts, written from the GA
 * reference https://platform.openai.com/docs/api-reference/realtime), signaling, media and the agent
 * worker run in process.
 */
describe('calls out to a realtime number: the model socket opens at the answer', function () {
  this.timeout(120_000);
  let bridge: InProcessBridge;
  let server: RealtimeWireServer;
  let bot: TestBot;
  /** When the bot got each `start` (Date.now()). */
  const botStartsAtMs: number[] = [];
  let tts: FliteTts;
  const outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });

  before(async () => {
    server = await RealtimeWireServer.start();
    bot = await TestBot.start();
    bot.onMessage = (_connection, message) => {
      if (message['event'] === 'start') botStartsAtMs.push(Date.now());
    };
    tts = new FliteTts();
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 2,
      numbers: [
        {
          number: NUMBER,
          enabled: true,
          agent: {
            kind: 'realtime',
            greeting: GREETING,
            realtime: { model: 'gpt-realtime', url: server.url(), connectTimeoutMs: 2000 },
          },
        },
        { number: BOT_NUMBER, enabled: true, agent: { kind: 'websocket', url: bot.url() } },
      ],
      agent: ({ channel, records }) => {
        const runner = new CallRunner({
          channel,
          records,
          stt: new ScriptedStt(() => undefined),
          tts,
          greetingDelayMs: 0,
          log,
          outbound,
        });
        return async (job) =>
          void (await runner.run(job.data, new AbortController().signal, (d) => job.updateProgress(d)));
      },
    });
  });

  after(async () => {
    await bridge?.close();
    outbound.close();
    await tts?.close();
    await server?.close();
    await bot?.close();
  });

  async function dial(
    scenario: string,
    number = NUMBER,
  ): Promise<{ run: SippResult; outcome: DialOutcome; record: CallRecord }> {
    const port = await freePort('udp', 'tcp');
    const running = runSipp({
      scenario,
      target: `127.0.0.1:${bridge.config.SIP_PORT}`,
      sipPort: port,
      pauseMs: 9000,
      timeoutMs: 60_000,
    });
    await waitFor('SIPp bound its port', 10_000, async () => !(await portIsFree(port, 'udp')));
    const callId = newCallId();
    const outcome = await bridge.signaling.dial(
      {
        version: 1,
        callId,
        trunk: 'carrier',
        destination: '+15550777',
        callerId: number,
        number,
        ringTimeoutS: 20,
        metadata: {},
        requestedAtMs: Date.now(),
      },
      { target: targetFromUri(`sip:+15550777@127.0.0.1:${port}`) },
    );
    const run = await running;
    const record = await waitFor('the record to end', 20_000, async () => {
      const r = await bridge.records.get(callId);
      return r?.status === 'ended' ? r : undefined;
    });
    return { run, outcome, record };
  }

  it('no model socket while the phone rings: it opens at the answer, and the greeting waits for the callee', async () => {
    server.respondWith({ kind: 'audio', pcm: tone(), transcript: GREETING });
    const before = server.connections.length;
    const { run, outcome, record } = await dial('uas-ring-then-answer.xml');
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome.verdict).to.equal('answered');
    expect(server.connections).to.have.length(before + 1);
    const connection = server.connections[before]!;
    // Our clock for all three: the 180 arrived at answer − ringMs, the 200 at answeredAtMs.
    const answeredAtMs = record.answeredAtMs!;
    const ringingAtMs = answeredAtMs - outcome.ringMs!;
    expect(outcome.ringMs).to.be.at.least(2000);
    expect(connection.acceptedAtMs, 'the socket opened after the 180').to.be.greaterThan(ringingAtMs);
    expect(connection.acceptedAtMs, 'the socket opened at the answer').to.be.at.least(answeredAtMs);
    // The greeting is asked for once the callee had its chance to speak (SIPp's recording talks on:
    // the wait's bound), not at the answer, and the callee's audio is not sent to the model before it.
    const types = connection.texts.map((t) => (t as { type?: string }).type);
    const greetingAt = types.indexOf('response.create');
    expect(greetingAt, types.join(',')).to.be.greaterThan(-1);
    expect(connection.textAtMs[greetingAt]! - answeredAtMs).to.be.at.least(1000);
    expect(types.slice(0, greetingAt)).to.not.include('input_audio_buffer.append');
    expect(JSON.stringify(connection.texts[greetingAt])).to.include('pharmacy');
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    // The greeting was played to the callee (SIPp's recording keeps talking, so it may be cut short).
    const greeting = record.transcript?.find((l) => l.speaker === 'agent');
    expect(greeting?.text, JSON.stringify(record.transcript)).to.match(/^Hello, this/);
    expect(greeting!.atMs).to.be.at.least(1000);
  });

  it('a model that cannot be reached at the answer: our BYE, verdict model-unreachable', async () => {
    const attempts = server.attempts;
    server.refuse({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const { run, outcome, record } = await dial('uas-ring-answer-wait-bye.xml');
    expect(run.code, describeRun(run)).to.equal(0);
    // The dial was answered (the config was fine before the INVITE); the failure came after.
    expect(outcome.verdict).to.equal('answered');
    expect(server.attempts).to.be.greaterThan(attempts);
    expect(record.verdict).to.deep.include({ by: 'agent', reason: 'model-unreachable' });
    expect(record.verdict?.code).to.equal('VB_ENGINE_FAILED');
  });

  it('a websocket bot gets its stream (connected, start) at the answer, as Twilio starts one on an answered call', async () => {
    const { run, outcome, record } = await dial('uas-ring-then-answer.xml', BOT_NUMBER);
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome.verdict).to.equal('answered');
    expect(bot.connections).to.have.length(1);
    expect(bot.events('connected')).to.have.length(1);
    expect(botStartsAtMs).to.have.length(1);
    expect(outcome.ringMs).to.be.at.least(2000);
    expect(botStartsAtMs[0], 'start at the answer, not while ringing').to.be.at.least(record.answeredAtMs!);
    expect(bot.events('media').length, "the callee's audio reached the bot").to.be.greaterThan(10);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });
});
