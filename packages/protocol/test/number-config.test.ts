import { expect } from 'chai';
import {
  AGENT_KINDS,
  AgentConfigSchema,
  CallJobSchema,
  NumberConfigSchema,
  StoredNumberConfigSchema,
  numberConfigFieldInfo,
} from '../src/index.ts';

const V1_BASE = {
  version: 1,
  number: '+15550100',
  enabled: true,
  answers: [],
  configVersion: 3,
  updatedAtMs: 1000,
} as const;

const V2_BASE = { version: 2, number: '+15550100', enabled: true, configVersion: 3, updatedAtMs: 1000 } as const;

describe('number config v2', () => {
  it('agent is a union by kind: each kind takes only its own fields', () => {
    expect(AgentConfigSchema.parse({ kind: 'scripted' })).to.deep.equal({ kind: 'scripted', answers: [] });
    // Another kind's field is not kept (the CLI refuses it before it gets here).
    expect(AgentConfigSchema.parse({ kind: 'echo', prompt: 'x' })).to.deep.equal({ kind: 'echo' });
    expect(AgentConfigSchema.safeParse({ kind: 'llm' }).success).to.equal(false);
    expect(AgentConfigSchema.safeParse({ kind: 'gpt' }).error?.issues[0]?.path).to.deep.equal(['kind']);
    expect(AGENT_KINDS).to.deep.equal(['echo', 'scripted', 'llm', 'websocket', 'realtime']);
    // A bot greets the caller itself: the websocket kind has no greeting of ours, and needs its URL.
    expect(AgentConfigSchema.parse({ kind: 'websocket', url: 'wss://bot.example/s', greeting: 'x' })).to.deep.equal({
      kind: 'websocket',
      url: 'wss://bot.example/s',
      connectTimeoutMs: 3000,
    });
    expect(AgentConfigSchema.safeParse({ kind: 'websocket' }).error?.issues[0]?.path).to.deep.equal(['url']);
  });

  it('engines default to the offline providers; events and outbound are validated (events need a secret variable)', () => {
    const config = NumberConfigSchema.parse({
      ...V2_BASE,
      agent: { kind: 'echo' },
      engines: { tts: { voice: 'kal' }, stt: {} },
      events: { url: 'https://hooks.example.com/vb', secretEnv: 'VB_HOOK_SECRET' },
      outbound: { trunk: 'carrier-1', callerId: '+15550100' },
    });
    expect(config.engines).to.deep.equal({
      tts: { provider: 'flite', voice: 'kal' },
      stt: { provider: 'pocketsphinx' },
    });
    for (const bad of [
      { engines: { tts: { provider: 'polly' } } },
      { engines: { stt: { keyEnv: 'sk-1234 5678' } } },
      { events: { url: 'ftp://example.com', secretEnv: 'VB_HOOK_SECRET' } },
      { events: { url: 'https://hooks.example.com/vb' } },
      { events: { url: 'https://hooks.example.com/vb', secretEnv: 'VB_HOOK_SECRET', timeoutMs: 20_000 } },
      { outbound: { trunk: 'carrier-1', callerId: '555' } },
    ]) {
      expect(
        NumberConfigSchema.safeParse({ ...V2_BASE, agent: { kind: 'echo' }, ...bad }).success,
        JSON.stringify(bad),
      ).to.equal(false);
    }
  });

  it('reads v1 as v2: the kind fields move into agent, voice into engines.tts, other kinds fields are dropped', () => {
    expect(
      StoredNumberConfigSchema.parse({
        ...V1_BASE,
        agent: 'scripted',
        greeting: 'Hello',
        answers: [{ keyword: 'hours', text: 'Nine to five' }],
        fallback: 'Pardon?',
        prompt: 'left over from llm',
        voice: 'slt',
        recording: { enabled: true, retentionDays: 7 },
      }),
    ).to.deep.equal({
      ...V2_BASE,
      agent: {
        kind: 'scripted',
        greeting: 'Hello',
        answers: [{ keyword: 'hours', text: 'Nine to five' }],
        fallback: 'Pardon?',
      },
      engines: { tts: { provider: 'flite', voice: 'slt' } },
      recording: { enabled: true, retentionDays: 7 },
    });
    const llm = { baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.2' };
    expect(
      StoredNumberConfigSchema.parse({ ...V1_BASE, agent: 'llm', llm, transferTargets: ['+1555*'] }),
    ).to.deep.equal({
      ...V2_BASE,
      agent: { kind: 'llm', llm },
      transferTargets: ['+1555*'],
    });
    expect(
      StoredNumberConfigSchema.parse({ ...V1_BASE, agent: 'echo', answers: [{ keyword: 'a', text: 'b' }] }),
    ).to.deep.equal({ ...V2_BASE, agent: { kind: 'echo' } });
  });

  it('a v1 llm number without its llm config does not read; an unknown version names the version', () => {
    const noModel = StoredNumberConfigSchema.safeParse({ ...V1_BASE, agent: 'llm' });
    expect(noModel.error?.issues[0]?.path).to.deep.equal(['agent']);
    expect(
      StoredNumberConfigSchema.safeParse({ ...V2_BASE, version: 3, agent: { kind: 'echo' } }).error?.issues[0]?.path,
    ).to.deep.equal(['version']);
  });

  it('a call job queued with a v1 config is read with the config upgraded', () => {
    const job = CallJobSchema.parse({
      version: 1,
      callId: 'c1',
      number: '+15550100',
      config: { ...V1_BASE, agent: 'echo', greeting: 'Echo test' },
      codec: 'PCMU',
      sampleRateHz: 8000,
      ptimeMs: 20,
      invitedAtMs: 0,
    });
    expect(job.config).to.deep.equal({ ...V2_BASE, agent: { kind: 'echo', greeting: 'Echo test' } });
  });

  it('describes a field from the schema: type, range, optional, and the agent kinds that have it', () => {
    expect(numberConfigFieldInfo(['recording', 'retentionDays'])).to.deep.equal({
      type: 'integer',
      min: 1,
      max: 3650,
      optional: true,
      default: 30,
    });
    expect(numberConfigFieldInfo(['agent', 'llm', 'temperature'])).to.deep.equal({
      type: 'number',
      min: 0,
      max: 2,
      optional: true,
      branches: ['llm'],
    });
    expect(numberConfigFieldInfo(['agent', 'greeting'])).to.include({ type: 'string', max: 1000 });
    expect(numberConfigFieldInfo(['agent', 'greeting'])?.branches).to.deep.equal([
      'echo',
      'scripted',
      'llm',
      'realtime',
    ]);
    expect(numberConfigFieldInfo(['agent', 'kind'])).to.deep.equal({
      type: 'enum',
      options: ['echo', 'scripted', 'llm', 'websocket', 'realtime'],
      optional: false,
    });
    expect(numberConfigFieldInfo(['agent', 'llm', 'model'])?.optional).to.equal(false);
    expect(numberConfigFieldInfo(['agent', 'nope'])).to.equal(undefined);
    expect(numberConfigFieldInfo(['greeting'])).to.equal(undefined);
  });
});
