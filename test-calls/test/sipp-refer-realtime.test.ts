import { expect } from 'chai';
import { pino } from 'pino';
import { CallRunner, FliteTts } from '@voicebridge/agent';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList, type BridgeConfig } from '@voicebridge/protocol';
import type { CallRecordRepository } from '@voicebridge/store';
import { ScriptedStt } from '../../packages/agent/test/agents/llm-call-harness.ts';
import { synthesizeAll } from '../../packages/agent/test/engines/audio-helpers.ts';
import { RealtimeWireServer, type ClientEvent } from '../../packages/agent/test/realtime/realtime-wire-server.ts';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import { describeRun, headerValues, runSipp, type SippResult } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

// The model's side is the local OpenAI Realtime server written from the GA reference (function calls:
// https://developers.openai.com/api/docs/guides/realtime-conversations, "Function calling").

const log = pino({ level: 'silent' });
const NUMBER = '+15550179';
const KEY_ENV = 'OPENAI_API_KEY';
const GREETING = 'Hello, how can I help?';

/**
 * The realtime agent's `transfer_call` end to end: the model (the local Realtime wire server, the
 * one stand-in: for the cloud model) calls the tool; the real realtime kind asks media, media asks
 * signaling, signaling sends REFER to real SIPp, whose NOTIFY 200 ends the call as `transferred`.
 * A target off the number's `transferTargets` is refused by signaling without a REFER, and the
 * model is told so in the function call's output.
 */
describe('realtime agent transfer_call → REFER to SIPp (in process: signaling, media, agent; local Realtime server)', function () {
  this.timeout(90_000);
  let bridge: InProcessBridge;
  let config: BridgeConfig;
  let records: CallRecordRepository;
  let server: RealtimeWireServer;
  let tts: FliteTts;
  let greeting: Int16Array;
  const outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });

  before(async () => {
    tts = new FliteTts();
    greeting = await synthesizeAll(tts, GREETING);
    server = await RealtimeWireServer.start();
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 2,
      numbers: [
        {
          number: NUMBER,
          agent: {
            kind: 'realtime',
            greeting: GREETING,
            prompt: 'You are the front desk.',
            realtime: { provider: 'openai', model: 'gpt-realtime', url: server.url(), apiKeyEnv: KEY_ENV },
          },
          enabled: true,
          transferTargets: ['+15550123'],
        },
      ],
      agent: ({ channel, records: callRecords }) => {
        const runner = new CallRunner({
          channel,
          records: callRecords,
          // Not used by a realtime number (the model hears and speaks); flite is the apology voice.
          stt: new ScriptedStt(() => undefined),
          tts,
          greetingDelayMs: 0,
          log,
          outbound,
          secrets: { env: { [KEY_ENV]: 'sk-local-test' }, secretEnv: SecretEnvAllowList.default() },
        });
        return async (job) =>
          void (await runner.run(job.data, new AbortController().signal, (d) => job.updateProgress(d)));
      },
    });
    ({ config, records } = bridge);
  });

  after(async () => {
    await bridge?.close();
    outbound.close();
    await tts?.close();
    await server?.close();
  });

  /**
   * Runs SIPp with `scenario`; once the model's greeting was played to the caller, the server's VAD
   * "hears" a request and creates the response (the scripted function call), as `create_response` does.
   */
  async function call(scenario: string): Promise<{ run: SippResult; callId: string; events: () => ClientEvent[] }> {
    const before = new Set((await records.listRecent({ limit: 1000 })).map((r) => r.callId));
    const connectionsBefore = server.connections.length;
    const running = runSipp({
      scenario,
      target: `127.0.0.1:${config.SIP_PORT}`,
      service: NUMBER,
      timeoutMs: 40_000,
    });
    const callId = await waitFor(
      'the call record',
      20_000,
      async () => (await records.listRecent({ limit: 1000 })).find((r) => !before.has(r.callId))?.callId,
    );
    // Played whole, or cut by the caller's voice (SIPp's pcap audio): either way it is in the record.
    await waitFor('the greeting in the record', 20_000, async () =>
      (await records.get(callId))?.transcript.some((t) => t.speaker === 'agent' && t.text.startsWith('Hello')),
    );
    const connection = server.connections[connectionsBefore];
    connection?.socket.emit('message', Buffer.from(JSON.stringify({ type: 'response.create' })), false);
    const run = await running;
    await waitFor('the record to end', 15_000, async () => (await records.get(callId))?.status === 'ended');
    return { run, callId, events: () => server.events(connection) };
  }

  it('the model calls transfer_call to an allowed target: SIPp gets the REFER to it, NOTIFY 200 ends the call as transferred', async () => {
    server.respondWith(
      { kind: 'audio', pcm: greeting, transcript: GREETING },
      { kind: 'function', name: 'transfer_call', arguments: '{"target":"+15550123"}' },
    );
    const { run, callId, events } = await call('uac-refer-pcap.xml');
    expect(run.code, describeRun(run)).to.equal(0);
    const refers = run.messages.filter((m) => m.direction === 'received' && m.startLine.startsWith('REFER '));
    expect(refers).to.have.length(1);
    expect(headerValues(refers[0]!, 'Refer-To')[0]).to.match(/^<sip:\+15550123@127\.0\.0\.1/);
    const record = await records.get(callId);
    expect(record?.verdict).to.deep.include({ by: 'bridge', reason: 'transferred' });
    const update = events()[0] as ClientEvent & { session: { tools: { name: string }[] } };
    expect(update.session.tools.map((t) => t.name)).to.include('transfer_call');
  });

  it('a target not in transferTargets is refused without a REFER; the model gets the refusal as the function output and ends the call', async () => {
    server.respondWith(
      { kind: 'audio', pcm: greeting, transcript: GREETING },
      { kind: 'function', name: 'transfer_call', arguments: '{"target":"+15559999"}' },
      { kind: 'function', name: 'end_call', arguments: '{}' },
    );
    const { run, callId, events } = await call('uac-wait-bye.xml');
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.messages.some((m) => m.startLine.startsWith('REFER '))).to.equal(false);
    const outputs = events()
      .filter((e) => e.type === 'conversation.item.create')
      .map((e) => (e as ClientEvent & { item: Record<string, unknown> }).item);
    expect(outputs).to.have.length(1);
    expect(outputs[0]).to.deep.include({ type: 'function_call_output' });
    const output = JSON.parse(String(outputs[0]?.['output'])) as Record<string, unknown>;
    expect(output).to.deep.include({ callContinues: true, code: 'VB_TRANSFER_NOT_ALLOWED' });
    expect(String(output['error'])).to.match(/\+15559999/);
    // The output, then a response.create for the model to go on (here: end_call).
    const types = events().map((e) => e.type);
    expect(types.lastIndexOf('response.create')).to.be.greaterThan(types.indexOf('conversation.item.create'));
    expect((await records.get(callId))?.verdict).to.deep.include({ by: 'agent', reason: 'agent-hangup' });
  });
});
