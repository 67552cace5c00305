import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import {
  assertBridgeIdle,
  cseqMethod,
  describeRun,
  endedRecord,
  runSipp,
  statusOf,
  unfinishedJobs,
} from '../src/sipp.ts';

const NUMBER = '+15550177';

/**
 * The real bridge (`voicebridge start`) with an `llm` number whose key variable is on the allow-list
 * but not set in the agent worker's environment: the agent claims the call, refuses it before the
 * answer, and SIPp (uac-refused.xml) must get 503 and never a 200; the record carries the verdict
 * `agent-misconfigured` by `agent` with a reason naming the variable.
 */
describe('SIPp: an agent that refuses the call before the answer (uac-refused.xml)', function () {
  this.timeout(90_000);
  let bridge: RunningBridge;

  before(async () => {
    bridge = await startBridge({ env: { OPENAI_API_KEY: '' } });
    const set = await bridge.cli([
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'llm',
      '--llm-base-url',
      'https://api.openai.com/v1',
      '--llm-model',
      'gpt-4o-mini',
      '--llm-api-key-env',
      'OPENAI_API_KEY',
    ]);
    expect(set.code, set.stderr).to.equal(0);
  });
  after(async () => {
    await bridge?.stop();
  });

  it('an llm number whose key variable is unset gets 503, never a 200, and the record says agent-misconfigured naming the variable', async () => {
    const run = await runSipp({
      scenario: 'uac-refused.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: NUMBER,
      timeoutMs: 20_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const finals = run.messages.filter(
      (m) => m.direction === 'received' && cseqMethod(m) === 'INVITE' && (statusOf(m) ?? 0) >= 200,
    );
    expect([...new Set(finals.map((m) => statusOf(m)))]).to.deep.equal([503]);
    const record = await endedRecord(bridge, run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'agent', reason: 'agent-misconfigured', sipStatus: 503 });
    expect(record.verdict?.detail).to.include('OPENAI_API_KEY');
    expect(record.answeredAtMs).to.equal(undefined);
    await assertBridgeIdle(bridge);
    expect(await unfinishedJobs(bridge)).to.deep.equal({ wait: 0, active: 0, paused: 0, delayed: 0, prioritized: 0 });
  });
});
