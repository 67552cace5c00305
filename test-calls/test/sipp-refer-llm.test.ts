import { expect } from 'chai';
import { pino } from 'pino';
import { CallRunner, createLanguageModelFactory, FliteTts } from '@voicebridge/agent';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList, type BridgeConfig } from '@voicebridge/protocol';
import type { CallRecordRepository } from '@voicebridge/store';
import { ScriptedStt } from '../../packages/agent/test/agents/llm-call-harness.ts';
import { chunk, FakeOpenAiServer, streamEvents, streamText } from '../../packages/agent/test/llm/fake-openai-server.ts';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import { describeRun, headerValues, runSipp } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });
const NUMBER = '+15550178';

/**
 * The llm agent's `transfer_call` end to end: the model (the local OpenAI-compatible stand-in, the
 * one stand-in allowed: for the cloud LLM) calls the tool; the real agent (CallRunner, flite TTS,
 * recogniser stand-in fed the caller's words) asks media, media asks signaling, signaling sends REFER
 * to real SIPp; SIPp's NOTIFY 200 ends the call as `transferred`.
 */
describe('llm agent transfer_call → REFER to SIPp (in process: signaling, media, agent)', function () {
  this.timeout(90_000);
  let bridge: InProcessBridge;
  let config: BridgeConfig;
  let records: CallRecordRepository;
  let model: FakeOpenAiServer;
  let tts: FliteTts;
  const stt = new ScriptedStt(() => undefined);
  const outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });

  before(async () => {
    model = await FakeOpenAiServer.start();
    tts = new FliteTts();
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 2,
      numbers: [
        {
          number: NUMBER,
          agent: { kind: 'llm', greeting: 'Hello.', llm: { baseUrl: model.baseUrl, model: 'fake-model' } },
          enabled: true,
          transferTargets: ['+15550123'],
        },
      ],
      agent: ({ channel, records: callRecords }) => {
        const runner = new CallRunner({
          channel,
          records: callRecords,
          stt,
          tts,
          greetingDelayMs: 0,
          log,
          models: createLanguageModelFactory({
            env: {},
            secretEnv: SecretEnvAllowList.default(),
            outbound,
            timeoutMs: 30_000,
          }),
        });
        return async (job) =>
          void (await runner.run(job.data, new AbortController().signal, (d) => job.updateProgress(d)));
      },
    });
    ({ config, records } = bridge);
  });

  after(async () => {
    await bridge.close();
    outbound.close();
    await tts.close();
    await model.close();
  });

  it('the model calls transfer_call: SIPp gets the REFER, NOTIFY 200 ends the call as transferred', async () => {
    model.respondWith((request, response) =>
      (request.body as { messages: Array<{ role: string }> }).messages.at(-1)?.role === 'tool'
        ? streamText(['Done.'])(request, response)
        : streamEvents([
            chunk({ role: 'assistant', content: 'Putting you through.' }),
            chunk({
              tool_calls: [
                {
                  index: 0,
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'transfer_call', arguments: '{"target":"+15550123"}' },
                },
              ],
            }),
            chunk({}, 'tool_calls'),
          ])(request, response),
    );
    const before = new Set((await records.listRecent({ limit: 1000 })).map((r) => r.callId));
    const running = runSipp({
      scenario: 'uac-refer.xml',
      target: `127.0.0.1:${config.SIP_PORT}`,
      service: NUMBER,
      timeoutMs: 40_000,
    });
    await waitFor('the agent to listen after its greeting', 20_000, () => Promise.resolve(stt.listening));
    stt.hear('put me through to sales please');
    const run = await running;
    expect(run.code, describeRun(run)).to.equal(0);
    const refer = run.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('REFER '));
    expect(headerValues(refer!, 'Refer-To')[0]).to.match(/^<sip:\+15550123@127\.0\.0\.1/);
    const callId = (await records.listRecent({ limit: 1000 })).find((r) => !before.has(r.callId))?.callId ?? '';
    await waitFor('the record to end', 10_000, async () => (await records.get(callId))?.status === 'ended');
    const record = await records.get(callId);
    expect(record?.verdict).to.deep.include({ by: 'bridge', reason: 'transferred' });
    expect(record?.transcript.map((e) => e.text)).to.include('Putting you through.');
    const offered = (model.requests[0]?.body as { tools?: Array<{ function: { name: string } }> }).tools?.map(
      (t) => t.function.name,
    );
    expect(offered).to.include('transfer_call');
  });
});
