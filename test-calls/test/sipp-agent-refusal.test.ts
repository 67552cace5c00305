import { expect } from 'chai';
import { FLITE_VOICES } from '@voicebridge/protocol';
import { NumberRepository, RedisKeys } from '@voicebridge/store';
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
/** A scripted number whose stored voice does not exist (written past `numbers set`, which refuses it). */
const BAD_VOICE = '+15550178';
const VOICES = FLITE_VOICES.join(', ');

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

  it('numbers check asks a live agent: the llm number is refused naming the variable, the demo number accepted', async () => {
    const refused = await bridge.cli(['numbers', 'check', NUMBER]);
    expect(refused.code, refused.stderr).to.equal(1);
    expect(refused.stdout, refused.stderr).to.match(
      /^\+15550177: an agent would refuse it with 503 agent-misconfigured \(agent llm, worker pid \d+ on .+\): /,
    );
    expect(refused.stdout).to.include('environment variable OPENAI_API_KEY is not set');
    const accepted = await bridge.cli(['numbers', 'check', '+15550100', '--json']);
    expect(accepted.code, accepted.stderr).to.equal(0);
    expect(JSON.parse(accepted.stdout)).to.deep.include({ decision: { decision: 'accept' }, kind: 'scripted' });
    // The probes leave nothing waiting or active on the calls queue.
    expect(await unfinishedJobs(bridge)).to.deep.equal({ wait: 0, active: 0, paused: 0, delayed: 0, prioritized: 0 });
  });

  it('--voice bogus is refused by numbers set; stored anyway, numbers check and a real call are refused before the answer with the voices listed, no greeting in the transcript', async () => {
    const set = await bridge.cli(['numbers', 'set', BAD_VOICE, '--voice', 'bogus']);
    expect(set.code).to.equal(2);
    expect(set.stderr).to.include(`invalid --voice "bogus": flite has no voice "bogus"; valid voices: ${VOICES}`);
    await new NumberRepository(bridge.redis, new RedisKeys(bridge.prefix)).put({
      number: BAD_VOICE,
      agent: { kind: 'scripted', greeting: 'A greeting nobody hears.', answers: [] },
      engines: { tts: { voice: 'bogus' } },
    });
    const check = await bridge.cli(['numbers', 'check', BAD_VOICE]);
    expect(check.code).to.equal(1);
    expect(check.stdout).to.include(`503 agent-misconfigured (agent scripted`);
    expect(check.stdout).to.include(`flite has no voice "bogus"; valid voices: ${VOICES}`);
    const run = await runSipp({
      scenario: 'uac-refused.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: BAD_VOICE,
      timeoutMs: 20_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const record = await endedRecord(bridge, run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'agent', reason: 'agent-misconfigured', sipStatus: 503 });
    expect(record.verdict?.detail).to.equal(`flite has no voice "bogus"; valid voices: ${VOICES}`);
    expect(record.answeredAtMs).to.equal(undefined);
    expect(record.transcript).to.deep.equal([]);
    const shown = await bridge.cli(['calls', 'show', record.callId]);
    expect(shown.stdout).to.match(
      /^verdict +agent-misconfigured by agent SIP 503: flite has no voice "bogus"; valid voices: /m,
    );
    await assertBridgeIdle(bridge);
  });
});
