import { expect } from 'chai';
import { EnginesConfigSchema, numberOutboundProblems, SecretEnvAllowList } from '../src/index.ts';

describe('engines config (number config v2)', () => {
  it('takes each cloud provider with its key variable, model, voice, language, URL and fallback', () => {
    const engines = EnginesConfigSchema.parse({
      stt: {
        provider: 'assemblyai',
        keyEnv: 'ASSEMBLYAI_API_KEY',
        model: 'universal-streaming-english',
        language: 'en',
      },
      tts: { provider: 'cartesia', keyEnv: 'CARTESIA_API_KEY', voice: 'a0e99841', fallback: 'none' },
    });
    expect(engines.stt).to.deep.equal({
      provider: 'assemblyai',
      keyEnv: 'ASSEMBLYAI_API_KEY',
      model: 'universal-streaming-english',
      language: 'en',
    });
    expect(engines.tts?.fallback).to.equal('none');
    // A compatible server at its own URL may take no key.
    expect(EnginesConfigSchema.safeParse({ stt: { provider: 'deepgram', url: 'ws://127.0.0.1:9/v1/listen' } }).success)
      .to.be.true;
  });

  it('refuses a cloud provider without a key variable, a URL of another scheme or with credentials, a bad fallback', () => {
    const cases: [unknown, string][] = [
      [{ stt: { provider: 'deepgram' } }, 'stt.keyEnv'],
      [{ tts: { provider: 'elevenlabs', voice: 'v' } }, 'tts.keyEnv'],
      [{ tts: { provider: 'flite', url: 'ftp://example.com/' } }, 'tts.url'],
      [{ stt: { provider: 'deepgram', keyEnv: 'K', url: 'wss://user:pw@example.com/' } }, 'stt.url'],
      [{ stt: { fallback: 'deepgram' } }, 'stt.fallback'],
      [{ tts: { fallback: 'elevenlabs' } }, 'tts.fallback'],
      [{ stt: { language: 'en_US; drop' } }, 'stt.language'],
    ];
    for (const [input, path] of cases) {
      const result = EnginesConfigSchema.safeParse(input);
      expect(result.success, JSON.stringify(input)).to.equal(false);
      expect(result.error?.issues[0]?.path.join('.'), JSON.stringify(input)).to.equal(path);
    }
  });

  it("an engine's url and key variable go through the outbound URL policy and the allow-list", () => {
    const problems = numberOutboundProblems(
      {
        engines: {
          stt: { provider: 'deepgram', url: 'wss://169.254.169.254/v1/listen', keyEnv: 'DEEPGRAM_API_KEY' },
          tts: { provider: 'elevenlabs', url: 'ws://tts.example.com/', keyEnv: 'ADMIN_TOKEN' },
        },
      },
      { secretEnv: SecretEnvAllowList.default(), denyCidrs: 'none' },
    );
    expect(problems.map((p) => p.path.join('.'))).to.have.members([
      'engines.tts.keyEnv',
      'engines.stt.url',
      'engines.tts.url',
    ]);
  });
});
