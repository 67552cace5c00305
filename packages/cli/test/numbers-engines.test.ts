import { expect } from 'chai';
import { NumberRepository } from '@voicebridge/store';
import type { OutboundRules } from '../src/cli-context.ts';
import { type CliResult, outboundRulesOf, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551239101';

describe('voicebridge numbers set: speech engines (--stt, --tts and their options; real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;
  const rules: OutboundRules = outboundRulesOf({ 'eu.stt.example': '93.184.216.34' });

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv, { outbound: rules });

  it('sets a cloud STT and TTS with model, voice, language, key variable, URL and fallbacks; get shows them', async () => {
    const set = await cli(
      'numbers',
      'set',
      NUMBER,
      '--stt',
      'deepgram',
      '--stt-model',
      'nova-3',
      '--stt-language',
      'en-US',
      '--stt-api-key-env',
      'DEEPGRAM_API_KEY',
      '--stt-url',
      'wss://eu.stt.example/v1/listen',
      '--stt-fallback',
      'none',
      '--tts',
      'elevenlabs',
      '--tts-voice',
      'Xb7hH8MSUJpSbSDYk0k2',
      '--tts-model',
      'eleven_flash_v2_5',
      '--tts-api-key-env',
      'ELEVENLABS_API_KEY',
      '--tts-fallback',
      'flite',
    );
    expect(set.status, set.stderr).to.equal(0);
    expect((await numbers.get(NUMBER))?.engines).to.deep.equal({
      stt: {
        provider: 'deepgram',
        model: 'nova-3',
        language: 'en-US',
        keyEnv: 'DEEPGRAM_API_KEY',
        url: 'wss://eu.stt.example/v1/listen',
        fallback: 'none',
      },
      tts: {
        provider: 'elevenlabs',
        voice: 'Xb7hH8MSUJpSbSDYk0k2',
        model: 'eleven_flash_v2_5',
        keyEnv: 'ELEVENLABS_API_KEY',
        fallback: 'flite',
      },
    });
    const get = await cli('numbers', 'get', NUMBER);
    expect(get.stdout).to.match(
      /\nstt +deepgram, model nova-3, language en-US, wss:\/\/eu\.stt\.example\/v1\/listen, key \$DEEPGRAM_API_KEY, fallback none\n/,
    );
    expect(get.stdout).to.match(
      /\ntts +elevenlabs, model eleven_flash_v2_5, voice Xb7hH8MSUJpSbSDYk0k2, key \$ELEVENLABS_API_KEY, fallback flite\n/,
    );
    // Back to the offline engines: the provider's own fields go with "".
    const back = await cli(
      'numbers',
      'set',
      NUMBER,
      '--tts',
      'flite',
      '--tts-api-key-env',
      '',
      '--tts-model',
      '',
      '--tts-voice',
      '',
    );
    expect(back.status, back.stderr).to.equal(0);
    expect((await numbers.get(NUMBER))?.engines?.tts).to.deep.include({ provider: 'flite' });
  });

  it('refuses bad engine values naming the flag; nothing is saved', async () => {
    const cases: [string[], string][] = [
      [['--stt', 'whisper'], 'invalid --stt "whisper": Invalid option: expected one of "pocketsphinx"|"deepgram"'],
      [['--tts', 'polly'], 'invalid --tts "polly": Invalid option: expected one of "flite"|"elevenlabs"'],
      [['--stt', 'deepgram'], 'invalid --stt-api-key-env: a cloud STT provider needs keyEnv'],
      [['--tts', 'cartesia'], 'invalid --tts-api-key-env: a cloud TTS provider needs keyEnv'],
      [['--stt-fallback', 'deepgram'], 'invalid --stt-fallback "deepgram": Invalid option: expected one of'],
      [['--stt-language', 'English please'], 'invalid --stt-language "English please": must be a language tag'],
      [['--tts-url', 'ftp://x.example/'], 'invalid --tts-url: must be an http(s) or ws(s) URL without credentials'],
      [
        ['--tts', 'elevenlabs', '--tts-api-key-env', 'ADMIN_TOKEN'],
        "invalid --tts-api-key-env: environment variable ADMIN_TOKEN is not on the agent's secret allow-list",
      ],
      [
        ['--stt', 'deepgram', '--stt-url', 'ws://eu.stt.example/v1/listen'],
        'invalid --stt-url: refused by the outbound URL policy',
      ],
    ];
    for (const [flags, message] of cases) {
      const result = await cli('numbers', 'set', NUMBER, ...flags);
      expect(result.status, flags.join(' ')).to.equal(2);
      expect(result.stderr, flags.join(' ')).to.include(`voicebridge: ${message}`);
    }
    expect(await numbers.get(NUMBER)).to.equal(undefined);
  });

  it('the help lists every engine flag with the providers it takes', async () => {
    const help = await cli('numbers', 'set', '--help');
    for (const flag of [
      '--stt NAME',
      '--stt-model',
      '--stt-url',
      '--stt-api-key-env',
      '--stt-language',
      '--stt-fallback',
      '--tts NAME',
      '--tts-voice',
      '--tts-model',
      '--tts-url',
      '--tts-api-key-env',
      '--tts-fallback',
    ]) {
      expect(help.stdout).to.include(flag);
    }
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).to.include('one of pocketsphinx, deepgram, assemblyai, openai');
    expect(text).to.include('one of flite, elevenlabs, cartesia, deepgram, openai');
  });
});
