import { expect } from 'chai';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { FLITE_VOICES, SecretEnvAllowList } from '@voicebridge/protocol';
import pino from 'pino';
import { builtInKinds } from '../../src/agents/built-in-kinds.ts';
import { createLanguageModelFactory } from '../../src/agents/language-model-factory.ts';
import { probeAgent } from '../../src/call/agent-probe.ts';
import { createOfflineEngines, type OfflineEngines } from '../../src/engines.ts';
import { llmCallJob } from '../agents/llm-call-harness.ts';

/** `numbers check`'s agent side: the worker's real kinds and engines, the same prepare a claim runs. */
describe('probeAgent: what a worker would decide at claim', function () {
  this.timeout(20_000);
  let engines: OfflineEngines;
  let outbound: OutboundHttp;
  const log = pino({ level: 'silent' });

  before(() => {
    engines = createOfflineEngines({ poolSize: 1, warmUp: false });
    outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });
  });
  after(async () => {
    outbound.close();
    await engines.close();
  });

  const kinds = (env: Record<string, string>): ReturnType<typeof builtInKinds> =>
    builtInKinds({
      stt: engines.stt,
      tts: engines.tts,
      outbound,
      models: createLanguageModelFactory({ env, secretEnv: SecretEnvAllowList.default(), outbound }),
    });
  const probe = (job: ReturnType<typeof llmCallJob>, env: Record<string, string> = {}) =>
    probeAgent(kinds(env), job, log, new AbortController().signal);

  it('accepts a scripted number on a known voice, naming the kind and the worker', async () => {
    const result = await probe(
      llmCallJob('probe-1', {
        agent: { kind: 'scripted', answers: [] },
        engines: { tts: { provider: 'flite', voice: 'slt' } },
      }),
    );
    expect(result).to.deep.include({ decision: { decision: 'accept' }, kind: 'scripted', pid: process.pid });
  });

  it('refuses any speaking kind whose voice this worker does not have, 503 agent-misconfigured listing the voices', async () => {
    for (const agent of [
      { kind: 'echo' as const },
      { kind: 'scripted' as const, answers: [] },
      { kind: 'llm' as const, llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'none' } },
    ]) {
      const result = await probe(
        llmCallJob('probe-2', { agent, engines: { tts: { provider: 'flite', voice: 'bogus' } } }),
      );
      expect(result.decision, agent.kind).to.deep.equal({
        decision: 'refuse',
        code: 'agent-misconfigured',
        sipStatus: 503,
        reason: `flite has no voice "bogus"; valid voices: ${FLITE_VOICES.join(', ')}`,
      });
    }
  });

  it('refuses an llm number whose key variable is unset here, or off the allow-list, naming the variable only', async () => {
    const llm = { baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY' };
    const unset = await probe(llmCallJob('probe-3', { agent: { kind: 'llm', llm } }));
    expect(unset.decision).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured', sipStatus: 503 });
    expect(unset.decision.decision === 'refuse' && unset.decision.reason).to.include(
      'environment variable OPENAI_API_KEY is not set',
    );
    const offList = await probe(
      llmCallJob('probe-4', { agent: { kind: 'llm', llm: { ...llm, apiKeyEnv: 'REDIS_PASSWORD' } } }),
      { REDIS_PASSWORD: 'hunter2' },
    );
    expect(offList.decision).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured' });
    expect(JSON.stringify(offList)).to.include('REDIS_PASSWORD').and.not.include('hunter2');
    const set = await probe(llmCallJob('probe-5', { agent: { kind: 'llm', llm } }), { OPENAI_API_KEY: 'sk-test' });
    expect(set.decision).to.deep.equal({ decision: 'accept' });
  });
});
