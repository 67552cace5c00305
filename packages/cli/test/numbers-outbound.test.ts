import { expect } from 'chai';
import { SecretEnvAllowList } from '@voicebridge/protocol';
import { NumberRepository } from '@voicebridge/store';
import type { OutboundRules } from '../src/cli-context.ts';
import { type CliResult, outboundRulesOf, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551239001';

/** DNS as the test wants it: each name's addresses, none for a name it does not know. */
describe('voicebridge numbers set: key variables by allow-list, URLs by the outbound policy (real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;
  let rules: OutboundRules;

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
    rules = outboundRulesOf({
      'api.example.com': '93.184.216.34',
      'models.lan': '10.0.0.5',
      'evil.example': '169.254.169.254',
    });
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv, { outbound: rules });
  const llm = ['--agent', 'llm', '--llm-model', 'm'];

  it('refuses --llm-api-key-env ADMIN_TOKEN, naming the allow-list and how to change it; nothing is saved', async () => {
    const result = await cli(
      'numbers',
      'set',
      NUMBER,
      ...llm,
      '--llm-base-url',
      'https://api.example.com/v1',
      '--llm-api-key-env',
      'ADMIN_TOKEN',
    );
    expect(result.status).to.equal(2);
    expect(result.stderr).to.include(
      "voicebridge: invalid --llm-api-key-env: environment variable ADMIN_TOKEN is not on the agent's secret allow-list (AGENT_SECRET_ENV=OPENAI_API_KEY,",
    );
    expect(result.stderr).to.include(
      'VB_SECRET_*); rename the key to one of those names or a VB_SECRET_ name, or add ADMIN_TOKEN to AGENT_SECRET_ENV',
    );
    expect(await numbers.get(NUMBER)).to.equal(undefined);
    const allowed = await cli(
      'numbers',
      'set',
      NUMBER,
      ...llm,
      '--llm-base-url',
      'https://api.example.com/v1',
      '--llm-api-key-env',
      'OPENAI_API_KEY',
    );
    expect(allowed.status, allowed.stderr).to.equal(0);
    rules.secretEnv = SecretEnvAllowList.parse('ADMIN_TOKEN');
    expect((await cli('numbers', 'set', NUMBER, '--llm-api-key-env', 'ADMIN_TOKEN')).status).to.equal(0);
  });

  it('refuses a webhook tool or a model URL at 169.254.169.254, written or resolved', async () => {
    const tool = (url: string): string =>
      JSON.stringify([{ name: 'lookup', description: 'd', parameters: { type: 'object' }, url }]);
    const base = ['numbers', 'set', NUMBER, ...llm, '--llm-base-url', 'https://api.example.com/v1'];
    const literal = await cli(
      ...base,
      '--webhook-tools',
      tool('http://169.254.169.254/latest/meta-data/'),
      '--insecure',
    );
    expect(literal.status).to.equal(2);
    expect(literal.stderr).to.include(
      'invalid --webhook-tools #1 url: refused by the outbound URL policy: 169.254.169.254 is a cloud metadata address',
    );
    const resolved = await cli(...base, '--webhook-tools', tool('https://evil.example/hook'));
    expect(resolved.status).to.equal(2);
    expect(resolved.stderr).to.include(
      'invalid --webhook-tools #1 url: refused by the outbound URL policy: evil.example resolves to 169.254.169.254 is a cloud metadata address',
    );
    const model = await cli('numbers', 'set', NUMBER, ...llm, '--llm-base-url', 'https://169.254.169.254/v1');
    expect(model.status).to.equal(2);
    expect(model.stderr).to.include(
      'invalid --llm-base-url: refused by the outbound URL policy: 169.254.169.254 is a cloud metadata address',
    );
    expect(await numbers.get(NUMBER)).to.equal(undefined);
  });

  it('takes plain http to another host only with --insecure, and the deny list whatever the flag', async () => {
    const lan = ['numbers', 'set', NUMBER, ...llm, '--llm-base-url', 'http://models.lan:11434/v1'];
    const plain = await cli(...lan);
    expect(plain.status).to.equal(2);
    expect(plain.stderr).to.include('invalid --llm-base-url: refused by the outbound URL policy: must be https://');
    expect((await cli(...lan, '--insecure')).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.deep.include({ insecure: true });
    // Taking the flag away again is refused while the URL still needs it.
    expect((await cli('numbers', 'set', NUMBER, '--no-insecure')).status).to.equal(2);
    rules.denyCidrs = '10.0.0.0/8';
    const denied = await cli(...lan, '--insecure');
    expect(denied.status).to.equal(2);
    expect(denied.stderr).to.include('models.lan resolves to 10.0.0.5 is in OUTBOUND_DENY_CIDRS');
  });

  it('a name that does not resolve here is saved with a warning: the agent checks it when it connects', async () => {
    const result = await cli('numbers', 'set', NUMBER, ...llm, '--llm-base-url', 'https://llm.internal.example/v1');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr).to.equal(
      'voicebridge: warning: agent.llm.baseUrl: llm.internal.example does not resolve here (ENOTFOUND); the agent checks it when it connects\n',
    );
  });
});
