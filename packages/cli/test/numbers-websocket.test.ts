import { expect } from 'chai';
import { NumberRepository } from '@voicebridge/store';
import type { OutboundRules } from '../src/cli-context.ts';
import { type CliResult, outboundRulesOf, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551239101';

describe('voicebridge numbers set --agent websocket (real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;
  let rules: OutboundRules;

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
    rules = outboundRulesOf({ 'bot.example.com': '93.184.216.34' });
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv, { outbound: rules });

  it('saves the bot URL, parameters, headers by variable name, the token variable and the reconnect window', async () => {
    const result = await cli(
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'websocket',
      '--websocket-url',
      'wss://bot.example.com/stream',
      '--websocket-param',
      'tenant=acme',
      '--websocket-param',
      'lang=en=US',
      '--websocket-header',
      'Authorization=VB_SECRET_BOT_AUTH',
      '--websocket-auth-token-env',
      'VB_SECRET_TWILIO_TOKEN',
      '--websocket-reconnect-ms',
      '5000',
      '--json',
    );
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    const saved = await numbers.get(NUMBER);
    expect(saved?.agent).to.deep.equal({
      kind: 'websocket',
      url: 'wss://bot.example.com/stream',
      parameters: { tenant: 'acme', lang: 'en=US' },
      headers: [{ name: 'Authorization', valueEnv: 'VB_SECRET_BOT_AUTH' }],
      authTokenEnv: 'VB_SECRET_TWILIO_TOKEN',
      reconnectMs: 5000,
      connectTimeoutMs: 3000,
    });
    const removed = await cli('numbers', 'set', NUMBER, '--websocket-param', '', '--websocket-header', '');
    expect(removed.status).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent).to.not.have.any.keys('parameters', 'headers');
  });

  it('refuses ws:// to another host without --insecure, and a header variable off the allow-list', async () => {
    const plain = await cli(
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'websocket',
      '--websocket-url',
      'ws://bot.example.com/stream',
    );
    expect(plain.status).to.equal(2);
    expect(plain.stderr).to.include('invalid --websocket-url: refused by the outbound URL policy: must be wss://');
    expect(plain.stderr).to.not.include('/stream');
    const header = await cli(
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'websocket',
      '--websocket-url',
      'ws://127.0.0.1:9/stream',
      '--websocket-header',
      'X-Key=REDIS_URL',
    );
    expect(header.status).to.equal(2);
    expect(header.stderr).to.include('invalid --websocket-header #1 valueEnv');
    expect(header.stderr).to.include('REDIS_URL');
    expect(await numbers.get(NUMBER)).to.equal(undefined);
  });

  it('names the flag for a bad parameter, a reserved parameter, a reserved header and a missing URL', async () => {
    const base = ['numbers', 'set', NUMBER, '--agent', 'websocket', '--websocket-url', 'wss://bot.example.com/s'];
    const badName = await cli(...base, '--websocket-param', 'bad-name=1');
    expect(badName.status).to.equal(2);
    expect(badName.stderr).to.include('invalid --websocket-param');
    expect(badName.stderr).to.include('letters, digits and _');
    const reserved = await cli(...base, '--websocket-param', 'from_number=+1');
    expect(reserved.stderr).to.include('is sent by the bridge itself');
    const tooLong = await cli(...base, '--websocket-param', `v=${'x'.repeat(501)}`);
    expect(tooLong.status).to.equal(2);
    expect(tooLong.stderr).to.include('invalid --websocket-param');
    const many = await cli(...base, ...Array.from({ length: 21 }, (_, i) => ['--websocket-param', `p${i}=1`]).flat());
    expect(many.stderr).to.include('at most 20 parameters');
    const header = await cli(...base, '--websocket-header', 'X-Twilio-Signature=VB_SECRET_X');
    expect(header.stderr).to.include('is set by the bridge itself');
    const shape = await cli(...base, '--websocket-header', 'NoEquals');
    expect(shape.stderr).to.include('invalid --websocket-header: must be NAME=ENV_VAR');
    const noUrl = await cli('numbers', 'set', NUMBER, '--agent', 'websocket');
    expect(noUrl.status).to.equal(2);
    expect(noUrl.stderr).to.include('--agent websocket needs --websocket-url');
    const http = await cli(
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'websocket',
      '--websocket-url',
      'https://bot.example.com/',
    );
    expect(http.stderr).to.include('must be a ws:// or wss:// URL without credentials');
    expect(await numbers.get(NUMBER)).to.equal(undefined);
  });

  it('refuses websocket flags on another kind, naming the kind that has them', async () => {
    const result = await cli('numbers', 'set', NUMBER, '--agent', 'echo', '--websocket-reconnect-ms', '1000');
    expect(result.status).to.equal(2);
    expect(result.stderr).to.include('--websocket-reconnect-ms applies to agent websocket');
    const param = await cli('numbers', 'set', NUMBER, '--agent', 'echo', '--websocket-param', 'a=b');
    expect(param.stderr).to.include('--websocket-param applies to agent websocket');
  });
});
