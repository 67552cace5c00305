import { expect } from 'chai';
import {
  configPathText,
  numberOutboundProblems,
  outboundUrlReferences,
  SecretEnvAllowList,
  secretEnvReferences,
} from '../src/index.ts';

/** A number that names every kind of key variable and URL, as the config's fields are named. */
const config = {
  number: '+15550001111',
  agent: {
    kind: 'llm',
    prompt: 'Be brief. Our site is https://169.254.169.254/ (in a prompt: not a URL the agent connects to).',
    llm: { baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY' },
    tools: [
      {
        name: 'lookup',
        description: 'Finds an order.',
        parameters: { type: 'object', properties: { siteUrl: { type: 'string' } }, examples: [{ url: 'x' }] },
        url: 'https://hooks.example.com/lookup',
        timeoutMs: 5000,
      },
    ],
  },
  engines: { stt: { provider: 'deepgram', keyEnv: 'DEEPGRAM_API_KEY', url: 'wss://api.deepgram.com/v1/listen' } },
  events: { url: 'https://events.example.com/', secretEnv: 'VB_SECRET_EVENTS' },
};

const rules = { secretEnv: SecretEnvAllowList.default(), denyCidrs: 'none' };

describe('number outbound references (key variables and URLs in a number config)', () => {
  it('finds every field ending in Env and every url / ...Url field, not the tool parameters schema', () => {
    expect(secretEnvReferences(config)).to.deep.equal([
      { path: ['agent', 'llm', 'apiKeyEnv'], value: 'OPENAI_API_KEY' },
      { path: ['engines', 'stt', 'keyEnv'], value: 'DEEPGRAM_API_KEY' },
      { path: ['events', 'secretEnv'], value: 'VB_SECRET_EVENTS' },
    ]);
    expect(outboundUrlReferences(config).map((r) => configPathText(r.path))).to.deep.equal([
      'agent.llm.baseUrl',
      'agent.tools[0].url',
      'engines.stt.url',
      'events.url',
    ]);
  });

  it('passes a config whose variables are listed and whose URLs are allowed', () => {
    expect(numberOutboundProblems(config, rules)).to.deep.equal([]);
  });

  it('names the field, the variable and the allow-list for a key variable off the list', () => {
    const admin = { ...config, agent: { ...config.agent, llm: { ...config.agent.llm, apiKeyEnv: 'ADMIN_TOKEN' } } };
    const [problem, ...rest] = numberOutboundProblems(admin, rules);
    expect(rest).to.deep.equal([]);
    expect(problem?.path).to.deep.equal(['agent', 'llm', 'apiKeyEnv']);
    expect(problem?.message).to.match(
      /^environment variable ADMIN_TOKEN is not on the agent's secret allow-list \(AGENT_SECRET_ENV=OPENAI_API_KEY,/,
    );
  });

  it('names the field for a webhook tool or a model at the metadata address', () => {
    const tools = [{ ...config.agent.tools[0], url: 'http://169.254.169.254/latest/meta-data/iam' }];
    const metadata = {
      ...config,
      agent: { ...config.agent, llm: { ...config.agent.llm, baseUrl: 'https://169.254.169.254/v1' }, tools },
    };
    expect(numberOutboundProblems(metadata, rules).map((p) => `${configPathText(p.path)}: ${p.message}`)).to.deep.equal(
      [
        'agent.llm.baseUrl: refused by the outbound URL policy: 169.254.169.254 is a cloud metadata address',
        'agent.tools[0].url: refused by the outbound URL policy: 169.254.169.254 is a cloud metadata address',
      ],
    );
  });

  it('takes plain http to another host only on a number marked insecure, and the operator deny list always', () => {
    const lan = {
      ...config,
      agent: { ...config.agent, llm: { ...config.agent.llm, baseUrl: 'http://10.0.0.7:11434/v1' } },
    };
    expect(numberOutboundProblems(lan, rules)).to.have.length(1);
    expect(numberOutboundProblems({ ...lan, insecure: true }, rules)).to.deep.equal([]);
    expect(numberOutboundProblems({ ...lan, insecure: true }, { ...rules, denyCidrs: '10.0.0.0/8' })).to.deep.equal([
      {
        path: ['agent', 'llm', 'baseUrl'],
        message: 'refused by the outbound URL policy: 10.0.0.7 is in OUTBOUND_DENY_CIDRS',
      },
    ]);
  });
});
