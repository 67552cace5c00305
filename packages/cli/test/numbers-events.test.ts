import { expect } from 'chai';
import { NumberRepository } from '@voicebridge/store';
import type { OutboundRules } from '../src/cli-context.ts';
import { type CliResult, outboundRulesOf, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551239201';

describe('voicebridge numbers set --events-url (real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;
  let rules: OutboundRules;

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
    rules = outboundRulesOf({ 'hooks.example.com': '93.184.216.34', 'inside.example.com': '169.254.169.254' });
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv, { outbound: rules });

  it('saves the URL, the secret variable by name and the transcript opt-in; --no-events removes the block', async () => {
    const url = 'https://hooks.example.com/voicebridge?token=abc';
    const result = await cli(
      'numbers',
      'set',
      NUMBER,
      '--events-url',
      url,
      '--events-secret-env',
      'VB_SECRET_HOOKS',
      '--events-include-transcript',
    );
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.include('signed with $VB_SECRET_HOOKS, with transcripts');
    expect((await numbers.get(NUMBER))?.events).to.deep.equal({
      url,
      secretEnv: 'VB_SECRET_HOOKS',
      includeTranscript: true,
    });
    expect((await cli('numbers', 'set', NUMBER, '--no-events-include-transcript')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.events).to.deep.equal({ url, secretEnv: 'VB_SECRET_HOOKS' });
    expect((await cli('numbers', 'set', NUMBER, '--no-events')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.events).to.equal(undefined);
  });

  it('names the missing flag, the refused URL and the variable off the allow-list, never quoting the URL', async () => {
    const alone = await cli('numbers', 'set', NUMBER, '--events-url', 'https://hooks.example.com/x');
    expect(alone.status).to.equal(2);
    expect(alone.stderr).to.include('this number needs --events-secret-env');

    const metadata = await cli(
      'numbers',
      'set',
      NUMBER,
      '--events-url',
      'https://inside.example.com/secret-path',
      '--events-secret-env',
      'VB_SECRET_HOOKS',
    );
    expect(metadata.status).to.equal(2);
    expect(metadata.stderr).to.include('invalid --events-url').and.include('cloud metadata');
    expect(metadata.stderr).to.not.include('secret-path');

    const offList = await cli(
      'numbers',
      'set',
      NUMBER,
      '--events-url',
      'https://hooks.example.com/x',
      '--events-secret-env',
      'REDIS_URL',
    );
    expect(offList.status).to.equal(2);
    expect(offList.stderr).to.include('invalid --events-secret-env').and.include('AGENT_SECRET_ENV');

    const both = await cli('numbers', 'set', NUMBER, '--no-events', '--events-include-transcript');
    expect(both.status).to.equal(2);
    expect(both.stderr).to.include('--no-events and --events-include-transcript exclude each other');
    expect(await numbers.get(NUMBER)).to.equal(undefined);
  });
});
