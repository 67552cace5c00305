import { expect } from 'chai';
import { OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList, type NumberConfig } from '@voicebridge/protocol';
import { createCloudEngineFactory } from '../../src/engines/cloud-engines.ts';
import { FallbackSlots } from '../../src/engines/fallback-slots.ts';
import { ENGINE_OUTAGE_APOLOGY } from '../../src/agents/engine-kind.ts';
import { chunk, streamEvents, streamText } from '../llm/fake-openai-server.ts';
import { AuraWireServer } from '../engines/aura-wire-server.ts';
import { CartesiaWireServer } from '../engines/cartesia-wire-server.ts';
import { ElevenLabsWireServer, tone } from '../engines/elevenlabs-wire-server.ts';
import { OpenAiSpeechWireServer } from '../engines/openai-speech-wire-server.ts';
import { useLlmCallSuite, type CallHarnessOptions } from './llm-call-harness.ts';

const KEY_VAR = 'ELEVENLABS_API_KEY';

describe('llm calls on a cloud TTS (ElevenLabs wire, local server) with the offline fallback (real flite, Redis)', function () {
  this.timeout(30_000);
  const suite = useLlmCallSuite();
  let server: ElevenLabsWireServer;

  beforeEach(async () => {
    server = await ElevenLabsWireServer.start();
  });
  afterEach(() => server.close());

  const engines = (): NumberConfig['engines'] => ({
    tts: { provider: 'elevenlabs', url: server.origin, keyEnv: KEY_VAR, voice: 'v1' },
  });
  const cloud = (slots = 4, env: Record<string, string> = { [KEY_VAR]: server.key }): CallHarnessOptions['cloud'] => ({
    factory: createCloudEngineFactory({
      env,
      secretEnv: SecretEnvAllowList.parse(KEY_VAR),
      policy: new OutboundPolicy({ denyCidrs: [] }),
    }),
    slots: new FallbackSlots(slots),
  });

  it('a key variable that is not set on the worker refuses the call naming it, without connecting', async () => {
    const call = await suite.start({ engines: engines(), cloud: cloud(4, {}), greeting: 'Hello.' });
    await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
    expect(call.logText.join('')).to.include(
      `speech engine not usable: engines.tts.keyEnv: environment variable ${KEY_VAR} is not set for the agent worker`,
    );
    expect(server.attempts).to.equal(0);
  });

  it('greets and answers in the cloud voice: the audio is what the provider sent, one socket for the call', async () => {
    // The model reports its tokens in a last chunk, as OpenAI does with `stream_options.include_usage`.
    suite.server.respondWith(
      streamEvents([
        chunk({ role: 'assistant', content: 'We open at nine.' }),
        chunk({}, 'stop'),
        { ...chunk({}), choices: [], usage: { prompt_tokens: 31, completion_tokens: 5, total_tokens: 36 } },
      ]),
    );
    const call = await suite.start({ engines: engines(), cloud: cloud(), greeting: 'Hello.' });
    await call.greeted();
    // The wire server's voice is a tone, 20 ms per character: "Hello." is 6 characters.
    expect(call.media.audioAfterMark(0)).to.equal(6 * 20 * 8);
    const first = call.media.events.find((e) => e.kind === 'audio');
    expect(first?.kind === 'audio' ? [...first.samples.slice(0, 40)] : []).to.deep.equal([...tone(5)]);
    call.stt.hear('when do you open');
    await call.media.waitFor(() => call.marks() >= 2, 'the answer');
    expect(call.media.audioAfterMark(1)).to.equal('We open at nine.'.length * 20 * 8);
    expect(server.connections).to.have.length(1);
    // The answer's tokens are counted once it has played out; its transcript line follows that.
    await call.media.waitFor(() => call.transcript.some((t) => t.text === 'We open at nine.'), 'the answer counted');
    await call.close();
    expect(call.logText.join('')).to.match(/"ttsCharacters":22/);
    const record = call.recordPatches.find((patch) => patch.engines !== undefined)?.engines;
    expect(record?.stt).to.deep.equal({ provider: 'pocketsphinx' });
    expect(record?.tts).to.deep.equal({
      provider: 'elevenlabs',
      model: 'eleven_flash_v2_5',
      characters: 22,
      cancelled: 0,
    });
    expect(record?.llm).to.deep.include({ model: 'fake-model', promptTokens: 31, completionTokens: 5 });
    // The turn's own share: the answer's characters and tokens, not the greeting's 6 characters.
    const turns = call.recordPatches.filter((patch) => patch.turns !== undefined).at(-1)?.turns;
    expect(turns?.map((t) => t.usage)).to.deep.equal([{ ttsCharacters: 16, promptTokens: 31, completionTokens: 5 }]);
  });

  it('a call we place: the TTS socket is not opened before the answer, then one socket for the greeting', async () => {
    const decisions: string[] = [];
    const call = await suite.start({
      engines: engines(),
      cloud: cloud(),
      greeting: 'Hello.',
      direction: 'outbound',
      holdStart: true,
      report: (d) => Promise.resolve(void decisions.push(d.decision)),
    });
    await call.media.waitFor(() => decisions.length > 0, 'the decision');
    // Accepted (the key variable is set and allowed) with no socket while the callee's phone rings.
    expect(decisions).to.deep.equal(['accept']);
    expect(server.attempts).to.equal(0);
    call.media.sendStart();
    await call.greeted();
    expect(server.connections).to.have.length(1);
    expect(call.media.audioAfterMark(0)).to.equal(6 * 20 * 8); // the provider's voice
  });

  it('a call we place whose key the provider refuses at the answer: hung up agent-misconfigured, no greeting', async () => {
    server.refuse({ status: 401 });
    const call = await suite.start({
      engines: engines(),
      cloud: cloud(),
      greeting: 'Hello.',
      direction: 'outbound',
      report: () => Promise.resolve(),
    });
    await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
    expect(call.media.controls().find((c) => c.event === 'hangup')).to.deep.include({
      reason: 'agent-misconfigured',
      code: 'VB_CONFIG_INVALID',
    });
    expect(call.transcript.map((t) => t.text)).to.not.include('Hello.');
  });

  it('a TTS provider killed mid-call: the next reply is heard in the fallback voice within 1.5 s and the call goes on', async () => {
    suite.server.respondWith(streamText(['We open at nine.']));
    const call = await suite.start({ engines: engines(), cloud: cloud(), greeting: 'Hello.' });
    await call.greeted();
    await server.close();
    const heardAt = performance.now();
    call.stt.hear('when do you open');
    await call.media.waitFor(() => call.media.audioAfterMark(1) > 0, 'fallback audio', 5000);
    const firstAudioMs = performance.now() - heardAt;
    await call.media.waitFor(() => call.marks() >= 2, 'the answer to end');
    // flite's rendering, not the provider's tone length.
    expect(call.media.audioAfterMark(1)).to.not.equal('We open at nine.'.length * 20 * 8);
    expect(call.media.audioAfterMark(1)).to.be.greaterThan(8000 * 0.5);
    expect(firstAudioMs, 'hears the fallback within 1.5 s').to.be.lessThan(1500);
    expect(call.logText.join('')).to.include('engine switched to its fallback for the rest of the call');
    call.stt.hear('and on saturday');
    await call.media.waitFor(() => call.marks() >= 3, 'the next answer, still on the fallback');
    await call.close();
    const record = call.recordPatches.find((patch) => patch.engines !== undefined)?.engines;
    expect(record?.tts).to.include({ provider: 'elevenlabs', switchedTo: 'flite' });
    expect(record?.tts.switchReason).to.be.a('string');
  });

  it('a provider that never sends audio (slow first byte) is replaced within 1.5 s', async () => {
    server.firstByteDelayMs = 20_000;
    const started = performance.now();
    const call = await suite.start({ engines: engines(), cloud: cloud(), greeting: 'Hello there.' });
    await call.media.waitFor(() => call.media.audioAfterMark(0) > 0, 'greeting audio', 5000);
    expect(performance.now() - started, 'hears the fallback within 1.5 s of the call start').to.be.lessThan(1500);
    await call.greeted();
  });

  it('a key the provider refuses (401) ends the call before any greeting, naming the variable', async () => {
    server.refuse({ status: 401 });
    const call = await suite.start({ engines: engines(), cloud: cloud(), greeting: 'Hello.' });
    // Signaling would answer 503 agent-misconfigured; this harness has no reporter, so the agent
    // says its refusal line after the answer and hangs up.
    await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
    expect(call.logText.join('')).to.include(
      `agent refused the call: speech engine not usable: elevenlabs: the provider refused the key in engines.tts.keyEnv (${KEY_VAR}) (401)`,
    );
    expect(call.transcript.map((t) => t.text)).to.not.include('Hello.');
  });

  it('no fallback slot left: the caller hears the fixed apology and the call ends engine-outage', async () => {
    suite.server.respondWith(streamText(['We open at nine.']));
    const call = await suite.start({ engines: engines(), cloud: cloud(0), greeting: 'Hello.' });
    await call.greeted();
    await server.close();
    call.stt.hear('when do you open');
    await call.media.waitFor(
      () => call.media.controls().some((c) => c.event === 'hangup' && c.reason === 'engine-outage'),
      'the engine-outage hangup',
    );
    expect(call.transcript.map((t) => t.text)).to.include(ENGINE_OUTAGE_APOLOGY);
    expect(call.media.audioAfterMark(1)).to.be.greaterThan(8000);
  });
});

describe('llm calls on each cloud TTS adapter (local wire servers, real Redis)', function () {
  this.timeout(30_000);
  const suite = useLlmCallSuite();

  const adapters = [
    { provider: 'cartesia', keyVar: 'CARTESIA_API_KEY', model: 'sonic-2', start: () => CartesiaWireServer.start() },
    {
      provider: 'deepgram',
      keyVar: 'DEEPGRAM_API_KEY',
      model: 'aura-2-thalia-en',
      start: () => AuraWireServer.start(),
    },
  ] as const;

  for (const adapter of adapters) {
    it(`${adapter.provider}: greets and answers in the provider's voice; the record names it, its model and the characters`, async () => {
      const server = await adapter.start();
      try {
        suite.server.respondWith(streamText(['We open at nine.']));
        const call = await suite.start({
          engines: { tts: { provider: adapter.provider, url: server.origin, keyEnv: adapter.keyVar } },
          cloud: {
            factory: createCloudEngineFactory({
              env: { [adapter.keyVar]: server.key },
              secretEnv: SecretEnvAllowList.parse(adapter.keyVar),
              policy: new OutboundPolicy({ denyCidrs: [] }),
            }),
            slots: new FallbackSlots(4),
          },
          greeting: 'Hello.',
        });
        await call.greeted();
        // Both wire servers speak a tone of 20 ms per character.
        expect(call.media.audioAfterMark(0)).to.equal(6 * 20 * 8);
        call.stt.hear('when do you open');
        await call.media.waitFor(() => call.marks() >= 2, 'the answer');
        expect(call.media.audioAfterMark(1)).to.equal('We open at nine.'.length * 20 * 8);
        expect(server.connections).to.have.length(1);
        await call.close();
        const record = call.recordPatches.find((patch) => patch.engines !== undefined)?.engines;
        expect(record?.tts).to.deep.equal({
          provider: adapter.provider,
          model: adapter.model,
          characters: 22,
          cancelled: 0,
        });
      } finally {
        await server.close();
      }
    });
  }

  describe('openai (HTTP, 24 kHz PCM resampled to 8 kHz)', () => {
    let server: OpenAiSpeechWireServer;
    beforeEach(async () => {
      server = await OpenAiSpeechWireServer.start();
    });
    afterEach(() => server.close());
    const openai = (env: Record<string, string>): Partial<CallHarnessOptions> => ({
      engines: { tts: { provider: 'openai', url: server.origin, keyEnv: 'OPENAI_API_KEY' } },
      cloud: {
        factory: createCloudEngineFactory({
          env,
          secretEnv: SecretEnvAllowList.parse('OPENAI_API_KEY'),
          policy: new OutboundPolicy({ denyCidrs: [] }),
        }),
        slots: new FallbackSlots(4),
      },
      greeting: 'Hello.',
    });

    it("greets and answers in the provider's voice, one request per clause; the record names it, its model and the characters", async () => {
      suite.server.respondWith(streamText(['We open at nine. ', 'See you then.']));
      const call = await suite.start(openai({ OPENAI_API_KEY: server.key }));
      await call.greeted();
      // 20 ms of 24 kHz tone per character, resampled: 8 kHz samples plus the filter's few-sample tail.
      expect(call.media.audioAfterMark(0)).to.be.within(6 * 20 * 8, 6 * 20 * 8 + 40);
      call.stt.hear('when do you open');
      await call.media.waitFor(() => call.marks() >= 2, 'the answer');
      expect(call.media.audioAfterMark(1)).to.be.within(29 * 20 * 8, 29 * 20 * 8 + 80);
      expect(server.requests.map((r) => r.body?.['input'])).to.deep.equal([
        '',
        'Hello.',
        'We open at nine.',
        'See you then.',
      ]);
      await call.close();
      const record = call.recordPatches.find((patch) => patch.engines !== undefined)?.engines;
      expect(record?.tts).to.deep.equal({ provider: 'openai', model: 'gpt-4o-mini-tts', characters: 35, cancelled: 0 });
    });

    it('a key OpenAI refuses (401) refuses the call before any greeting, naming the variable', async () => {
      const call = await suite.start(openai({ OPENAI_API_KEY: 'sk-proj-revoked-0000' }));
      await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
      expect(call.logText.join('')).to.include(
        'agent refused the call: speech engine not usable: openai: the provider refused the key in engines.tts.keyEnv (OPENAI_API_KEY) (401)',
      );
      expect(call.logText.join('')).to.not.include('revoked');
      expect(call.transcript.map((t) => t.text)).to.not.include('Hello.');
    });
  });
});
