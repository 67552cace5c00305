import { expect } from 'chai';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { AgentDecisionSchema, SecretEnvAllowList, type AgentConfig, type CallJob } from '@voicebridge/protocol';
import { decideOnCall } from '../../src/agents/call-decision.ts';
import { createLanguageModelFactory, noLanguageModels } from '../../src/agents/language-model-factory.ts';

const KEY_VALUE = 'sk-test-value-never-to-be-shown';

function jobFor(agent: AgentConfig): CallJob {
  return {
    version: 1,
    callId: 'call-1',
    number: '+15550100',
    config: { version: 2, number: '+15550100', enabled: true, agent, configVersion: 1, updatedAtMs: 0 },
    codec: 'PCMU',
    sampleRateHz: 8000,
    ptimeMs: 20,
    invitedAtMs: 0,
  };
}

const outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });
const secretEnv = SecretEnvAllowList.default();

const llmAgent: AgentConfig = {
  kind: 'llm',
  llm: { baseUrl: 'https://api.example.com/v1', model: 'm', apiKeyEnv: 'OPENAI_API_KEY' },
};

describe('decideOnCall (accept or refuse before the answer)', () => {
  it('accepts echo and scripted numbers, and an llm number whose key variable is set', () => {
    const models = createLanguageModelFactory({ env: { OPENAI_API_KEY: KEY_VALUE }, secretEnv, outbound });
    expect(decideOnCall(jobFor({ kind: 'echo' }), noLanguageModels)).to.deep.equal({ decision: 'accept' });
    expect(decideOnCall(jobFor({ kind: 'scripted', answers: [] }), noLanguageModels)).to.deep.equal({
      decision: 'accept',
    });
    expect(decideOnCall(jobFor(llmAgent), models)).to.deep.equal({ decision: 'accept' });
  });

  it('refuses an llm number whose key variable is unset or empty with 503 agent-misconfigured naming the variable', () => {
    for (const env of [{}, { OPENAI_API_KEY: '' }, { OTHER_KEY: KEY_VALUE }]) {
      const decision = decideOnCall(jobFor(llmAgent), createLanguageModelFactory({ env, secretEnv, outbound }));
      expect(decision).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured', sipStatus: 503 });
      const reason = decision.decision === 'refuse' ? decision.reason : '';
      expect(reason).to.include('OPENAI_API_KEY');
      expect(reason).to.not.include(KEY_VALUE);
      expect(AgentDecisionSchema.safeParse(decision).success, 'signaling takes it').to.equal(true);
    }
  });

  it('refuses an llm number whose key variable is off AGENT_SECRET_ENV, naming the list, never reading the value', () => {
    const models = createLanguageModelFactory({
      env: { REDIS_URL: KEY_VALUE },
      secretEnv,
      outbound,
    });
    const agent: AgentConfig = { ...llmAgent, llm: { ...llmAgent.llm, apiKeyEnv: 'REDIS_URL' } } as AgentConfig;
    const decision = decideOnCall(jobFor(agent), models);
    expect(decision).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured', sipStatus: 503 });
    const reason = decision.decision === 'refuse' ? decision.reason : '';
    expect(reason).to.include('REDIS_URL').and.include('AGENT_SECRET_ENV');
    expect(reason).to.not.include(KEY_VALUE);
  });

  it('refuses an llm number whose model URL the outbound policy refuses (cloud metadata)', () => {
    const models = createLanguageModelFactory({ env: { OPENAI_API_KEY: KEY_VALUE }, secretEnv, outbound });
    const agent = { ...llmAgent, llm: { ...llmAgent.llm, baseUrl: 'https://169.254.169.254/v1' } } as AgentConfig;
    const decision = decideOnCall(jobFor(agent), models);
    expect(decision).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured', sipStatus: 503 });
  });

  it('refuses an llm number on a worker without models', () => {
    const decision = decideOnCall(jobFor(llmAgent), noLanguageModels);
    expect(decision).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured', sipStatus: 503 });
  });
});
