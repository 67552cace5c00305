import { expect } from 'chai';
import { NumberRepository } from '@voicebridge/store';
import type { OutboundRules } from '../src/cli-context.ts';
import { type CliResult, outboundRulesOf, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551239201';

describe('voicebridge numbers set --agent realtime (real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;
  let rules: OutboundRules;

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
    rules = outboundRulesOf({ 'model.example.com': '93.184.216.34' });
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv, { outbound: rules });

  it('saves the model, its URL, the key by variable name, the voice, turn detection, prompt and greeting', async () => {
    const result = await cli(
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'realtime',
      '--realtime-model',
      'gpt-realtime',
      '--realtime-url',
      'wss://model.example.com/v1/realtime',
      '--realtime-api-key-env',
      'OPENAI_API_KEY',
      '--realtime-voice',
      'marin',
      '--turn-detection',
      'semantic',
      '--prompt',
      'You are a helpful receptionist.',
      '--greeting',
      'Hello, how can I help?',
    );
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    const saved = await numbers.get(NUMBER);
    expect(saved?.agent).to.deep.equal({
      kind: 'realtime',
      greeting: 'Hello, how can I help?',
      prompt: 'You are a helpful receptionist.',
      realtime: {
        provider: 'openai',
        model: 'gpt-realtime',
        url: 'wss://model.example.com/v1/realtime',
        apiKeyEnv: 'OPENAI_API_KEY',
        voice: 'marin',
        turnDetection: 'semantic',
        connectTimeoutMs: 5000,
      },
    });
    const shown = await cli('numbers', 'get', NUMBER);
    expect(shown.stdout).to.match(
      /model +openai gpt-realtime, wss:\/\/model\.example\.com\/v1\/realtime, key \$OPENAI_API_KEY, voice marin, turn detection semantic/,
    );
    const removed = await cli('numbers', 'set', NUMBER, '--realtime-url', '', '--realtime-voice', '');
    expect(removed.status).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent).to.deep.include({ kind: 'realtime' });
    const agent = (await numbers.get(NUMBER))?.agent;
    expect(agent?.kind === 'realtime' ? agent.realtime : undefined).to.not.have.any.keys('url', 'voice');
  });

  it('names the flag for a missing model, a bad turn detection, a key variable off the allow-list and a ws:// URL', async () => {
    const noModel = await cli('numbers', 'set', NUMBER, '--agent', 'realtime');
    expect(noModel.status).to.equal(2);
    expect(noModel.stderr).to.include('--agent realtime needs --realtime-model');
    const base = ['numbers', 'set', NUMBER, '--agent', 'realtime', '--realtime-model', 'gpt-realtime'];
    const turn = await cli(...base, '--turn-detection', 'psychic');
    expect(turn.status).to.equal(2);
    expect(turn.stderr).to.include('invalid --turn-detection "psychic"');
    const key = await cli(...base, '--realtime-api-key-env', 'REDIS_URL');
    expect(key.status).to.equal(2);
    expect(key.stderr).to.include('invalid --realtime-api-key-env');
    expect(key.stderr).to.include('REDIS_URL');
    const plain = await cli(...base, '--realtime-url', 'ws://model.example.com/v1/realtime');
    expect(plain.status).to.equal(2);
    expect(plain.stderr).to.include('invalid --realtime-url: refused by the outbound URL policy: must be wss://');
    expect(plain.stderr).to.not.include('/v1/realtime');
    const https = await cli(...base, '--realtime-url', 'https://model.example.com/v1/realtime');
    expect(https.stderr).to.include('must be a ws:// or wss:// URL without credentials');
    const provider = await cli(...base, '--realtime-provider', 'gemini');
    expect(provider.stderr).to.include('invalid --realtime-provider "gemini"');
    expect(await numbers.get(NUMBER)).to.equal(undefined);
  });

  it('refuses realtime flags on another kind, naming the kind that has them; webhook tools are allowed', async () => {
    const result = await cli('numbers', 'set', NUMBER, '--agent', 'echo', '--realtime-voice', 'marin');
    expect(result.status).to.equal(2);
    expect(result.stderr).to.include('--realtime-voice applies to agent realtime');
    const tools = JSON.stringify([
      {
        name: 'lookup',
        description: 'find an order',
        parameters: { type: 'object', properties: {} },
        url: 'https://model.example.com/tool',
      },
    ]);
    const withTools = await cli(
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'realtime',
      '--realtime-model',
      'gpt-realtime-mini',
      '--webhook-tools',
      tools,
    );
    expect(withTools.stderr).to.equal('');
    const agent = (await numbers.get(NUMBER))?.agent;
    expect(agent?.kind === 'realtime' ? agent.tools?.[0]?.name : undefined).to.equal('lookup');
  });
});
