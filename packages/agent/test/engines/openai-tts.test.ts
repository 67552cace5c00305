import { expect } from 'chai';
import { OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList, silentLogger } from '@voicebridge/protocol';
import { Resampler } from '@voicebridge/rtp';
import { CallEngines } from '../../src/engines/call-engines.ts';
import { createCloudEngineFactory } from '../../src/engines/cloud-engines.ts';
import { FallbackSlots } from '../../src/engines/fallback-slots.ts';
import { inputPieces, speechUrl } from '../../src/engines/openai-speech-wire.ts';
import { OpenAiTts, type OpenAiTtsOptions } from '../../src/engines/openai-tts.ts';
import { createOfflineEngines, type OfflineEngines } from '../../src/engines.ts';
import { EngineError } from '../../src/stt/engine-error.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';
import { concat } from './audio-helpers.ts';
import { OpenAiSpeechWireServer } from './openai-speech-wire-server.ts';

const KEY_NAME = 'engines.tts.keyEnv (OPENAI_API_KEY)';

async function chunksOf(tts: OpenAiTts, text: string, signal = AbortSignal.timeout(10_000)): Promise<Int16Array[]> {
  const chunks: Int16Array[] = [];
  for await (const chunk of tts.synthesize(text, { sampleRateHz: 8000, signal })) chunks.push(chunk);
  return chunks;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** The 24 kHz reply resampled in one pass, flushed: what the adapter must give, sample for sample. */
function resampledWhole(pcm24k: Int16Array): Int16Array {
  const resampler = new Resampler({ inputRateHz: 24_000, outputRateHz: 8000 });
  const out = new Int16Array(resampler.maxOutputFor(pcm24k.length));
  const written = resampler.process(pcm24k, out);
  const tail = new Int16Array(resampler.maxFlushOutput);
  const flushed = resampler.flush(tail);
  return concat([out.subarray(0, written), tail.subarray(0, flushed)]);
}

describe('OpenAiTts against a local OpenAI-speech server', () => {
  let server: OpenAiSpeechWireServer;
  const engines: OpenAiTts[] = [];

  beforeEach(async () => {
    server = await OpenAiSpeechWireServer.start();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server.close();
  });

  const make = (options: Partial<OpenAiTtsOptions> = {}): OpenAiTts => {
    const tts = new OpenAiTts({
      url: server.origin,
      apiKey: server.key,
      keyName: KEY_NAME,
      policy: new OutboundPolicy({ denyCidrs: [] }),
      backoffMs: 10,
      ...options,
    });
    engines.push(tts);
    return tts;
  };

  it('one POST per reply (model, voice, input, pcm; Bearer key); the chunked 24 kHz body, split mid-sample, comes out as one resampling pass at 8 kHz', async () => {
    expect(server.chunkBytes % 2, 'odd writes split samples').to.equal(1);
    const tts = make({ model: 'tts-1', voice: 'nova' });
    const chunks = await chunksOf(tts, 'Hello there, how can I help?');
    expect(chunks.length, 'streamed as it came, not at the end').to.be.greaterThan(5);
    const audio = concat(chunks);
    expect([...audio]).to.deep.equal([...resampledWhole(server.pcmFor('Hello there, how can I help?'))]);
    // 28 characters of 20 ms: 560 ms at 8 kHz, plus the filter's tail.
    expect(audio.length).to.be.within(28 * 20 * 8, 28 * 20 * 8 + 40);
    expect(await chunksOf(tts, 'Bye.')).to.not.be.empty;
    expect(server.requests.map((r) => [r.method, r.path])).to.deep.equal([
      ['POST', '/v1/audio/speech'],
      ['POST', '/v1/audio/speech'],
    ]);
    expect(server.requests[0]!.headers.authorization).to.equal(`Bearer ${server.key}`);
    expect(server.requests[0]!.headers['content-type']).to.equal('application/json');
    expect(server.requests[0]!.body).to.deep.equal({
      model: 'tts-1',
      input: 'Hello there, how can I help?',
      voice: 'nova',
      response_format: 'pcm',
    });
    expect(tts.characters).to.equal(32);
    expect(server.completed).to.equal(2);
  });

  it('a reply over the 4096 characters the provider takes goes as several requests, cut at sentence ends, the audio in order', async () => {
    const sentence = 'This sentence is here to make a very long reply for the speech endpoint. ';
    const text = sentence.repeat(120).trim(); // 8,759 characters
    const tts = make();
    const audio = concat(await chunksOf(tts, text, AbortSignal.timeout(60_000)));
    const inputs = server.requests.map((r) => (r.body as { input: string }).input);
    expect(inputs.length).to.equal(3);
    for (const input of inputs) {
      expect(input.length).to.be.at.most(4096);
      expect(input.endsWith('speech endpoint.'), 'cut at a sentence end').to.equal(true);
    }
    expect(inputs.join(' ')).to.equal(text);
    const expected = concat(inputs.map((input) => resampledWhole(server.pcmFor(input))));
    expect(audio.length).to.equal(expected.length);
    expect([...audio.subarray(0, 4000)]).to.deep.equal([...expected.subarray(0, 4000)]);
    expect(tts.characters).to.equal(inputs.reduce((sum, input) => sum + input.length, 0));
  });

  it('inputPieces: sentence ends first, then clause marks, then spaces; a run without spaces is cut at the limit', () => {
    expect(inputPieces('One two. Three four, five six', 12)).to.deep.equal(['One two.', 'Three four,', 'five six']);
    expect(inputPieces('aaaa bbbb cccc dddd', 9)).to.deep.equal(['aaaa bbbb', 'cccc dddd']);
    expect(inputPieces('x'.repeat(25), 10)).to.deep.equal(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    expect(inputPieces(`${'x'.repeat(9)}😀yz`, 10), 'a surrogate pair is never split').to.deep.equal([
      'x'.repeat(9),
      '😀yz',
    ]);
    expect(inputPieces('  short  ', 4096)).to.deep.equal(['short']);
    for (const piece of inputPieces('Word. '.repeat(2000), 4096)) expect(piece.length).to.be.at.most(4096);
  });

  it('defaults to gpt-4o-mini-tts and alloy; prepare probes with an empty input, accepted as a 400 naming the input', async () => {
    const tts = make();
    await tts.prepare(AbortSignal.timeout(5000));
    expect(server.requests[0]!.body).to.deep.equal({
      model: 'gpt-4o-mini-tts',
      input: '',
      voice: 'alloy',
      response_format: 'pcm',
    });
    expect(tts.characters).to.equal(0);
  });

  it('401 at prepare: VB_CONFIG_INVALID naming the key variable, not retried, without the part of the key OpenAI quotes', async () => {
    const refused = await failureOf(make({ apiKey: 'sk-proj-wrong-key-1234' }).prepare(AbortSignal.timeout(5000)));
    expect(refused).to.be.instanceOf(EngineError);
    expect(refused).to.include({ code: 'VB_CONFIG_INVALID', retryable: false });
    expect((refused as Error).message).to.equal(`openai: the provider refused the key in ${KEY_NAME} (401)`);
    expect(server.attempts).to.equal(1);
    server.refuse({ status: 403, error: { message: 'Country, region, or territory not supported' } });
    const forbidden = await failureOf(make().prepare(AbortSignal.timeout(5000)));
    expect((forbidden as Error).message).to.include(`${KEY_NAME} (403)`);
  });

  it('prepare refuses a model or a voice the provider does not have, naming the field; a wrong path names the url', async () => {
    const model = await failureOf(make({ model: 'tts-9' }).prepare(AbortSignal.timeout(5000)));
    expect(model).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((model as Error).message).to.match(
      /^openai: engines\.tts\.model \("tts-9"\) refused by the provider \(404\): The model `tts-9` does not exist/,
    );
    const voice = await failureOf(make({ voice: 'bogus' }).prepare(AbortSignal.timeout(5000)));
    expect((voice as Error).message).to.match(
      /^openai: engines\.tts\.voice \("bogus"\) refused by the provider \(400\): Invalid value: 'bogus'/,
    );
    const path = await failureOf(make({ url: `${server.origin}/api/speak` }).prepare(AbortSignal.timeout(5000)));
    expect((path as Error).message).to.equal(
      'openai: engines.tts.url: no speech endpoint at /api/speak/v1/audio/speech (404)',
    );
  });

  it('429 (with Retry-After) and 5xx are retried, at prepare and per reply; still failing after two retries fails retryably', async () => {
    server.refuse({ status: 429, retryAfterS: 0 }, { status: 503 });
    const tts = make();
    await tts.prepare(AbortSignal.timeout(5000));
    expect(server.attempts).to.equal(3);
    server.refuse({ status: 500 }, { status: 502 });
    expect(await chunksOf(tts, 'Back again.')).to.not.be.empty;
    expect(server.attempts).to.equal(6);
    server.refuse(
      {
        status: 429,
        error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      },
      { status: 429 },
      {
        status: 429,
        error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      },
    );
    const error = await failureOf(chunksOf(tts, 'Not this time.'));
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect((error as Error).message).to.equal(
      'openai: rate limited (429): Rate limit reached for requests (rate_limit_exceeded)',
    );
    expect(server.attempts).to.equal(9);
    expect(tts.characters, 'only replies the provider accepted').to.equal(11);
  });

  it('barge-in aborts the request: the provider sees the connection dropped, no more audio comes, the next reply is whole', async () => {
    server.chunkGapMs = 20;
    const tts = make();
    const barge = new AbortController();
    let chunks = 0;
    const error = await failureOf(
      (async () => {
        for await (const _chunk of tts.synthesize('A long reply the caller talks over, on and on.', {
          sampleRateHz: 8000,
          signal: barge.signal,
        }))
          if (++chunks === 2) barge.abort(new Error('barge-in'));
      })(),
    );
    expect((error as Error).message).to.equal('barge-in');
    expect(chunks).to.equal(2);
    expect(tts.cancelled).to.equal(1);
    await waitFor('the request dropped at the provider', 5000, () => server.aborted === 1);
    server.chunkGapMs = 0;
    const next = concat(await chunksOf(tts, 'Next.'));
    expect([...next]).to.deep.equal([...resampledWhole(server.pcmFor('Next.'))]);
  });

  it('a 200 whose body is JSON, not audio, fails the reply naming the provider message', async () => {
    server.jsonInsteadOfAudio = true;
    const error = await failureOf(chunksOf(make(), 'Hello.'));
    expect(error).to.include({ code: 'VB_ENGINE_FAILED' });
    expect((error as Error).message).to.equal(
      'openai: the reply is application/json, not audio: The server had an error while processing your request.',
    );
  });

  it('a connection dropped mid-body fails the reply retryably after the audio already given', async () => {
    server.dieAfterBytes = 24_000; // half a second of 24 kHz PCM
    let samples = 0;
    const error = await failureOf(
      (async () => {
        for await (const chunk of make().synthesize('A reply that will not finish, however long it is.', {
          sampleRateHz: 8000,
          signal: AbortSignal.timeout(5000),
        }))
          samples += chunk.length;
      })(),
    );
    expect(error).to.be.instanceOf(EngineError);
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect((error as Error).message).to.match(/^openai: the reply broke off/);
    expect(samples).to.be.within(3900, 4000);
  });

  it('close() aborts the requests in flight', async () => {
    server.stallAfterBytes = 4800;
    const tts = make();
    const replying = failureOf(chunksOf(tts, 'Waiting forever.'));
    await waitFor('the reply started', 5000, () => server.requests.length === 1);
    await tts.close();
    await tts.close();
    expect(await replying).to.include({ code: 'VB_CLOSED' });
    await waitFor('the request dropped at the provider', 5000, () => server.aborted === 1);
  });

  it('takes an origin, a base up to /v1 or the whole endpoint; the URL policy refuses plain http to another host', async () => {
    expect(speechUrl(undefined)).to.equal('https://api.openai.com/v1/audio/speech');
    expect(speechUrl('https://eu.api.openai.com/')).to.equal('https://eu.api.openai.com/v1/audio/speech');
    expect(speechUrl('http://localhost:8880/v1')).to.equal('http://localhost:8880/v1/audio/speech');
    expect(speechUrl('https://gw.example/openai/v1/audio/speech?api-version=1')).to.equal(
      'https://gw.example/openai/v1/audio/speech?api-version=1',
    );
    const refused = await failureOf(make({ url: 'http://tts.example.com' }).prepare(AbortSignal.timeout(5000)));
    expect(refused).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((refused as Error).message).to.match(
      /^openai: engines\.tts\.url refused by the outbound URL policy: must be https/,
    );
    const metadata = await failureOf(make({ url: 'https://169.254.169.254' }).prepare(AbortSignal.timeout(5000)));
    expect((metadata as Error).message).to.include('engines.tts.url refused by the outbound URL policy');
  });
});

describe('OpenAI speech on a call: a stalled body falls back to flite (real flite)', function () {
  this.timeout(30_000);
  let offline: OfflineEngines;
  let server: OpenAiSpeechWireServer;

  before(() => {
    offline = createOfflineEngines({ poolSize: 1 });
  });
  after(() => offline.close());
  beforeEach(async () => {
    server = await OpenAiSpeechWireServer.start();
  });
  afterEach(() => server.close());

  it('a reply whose body stops mid-way: the fallback voice says it again within the stall window, the switch recorded', async () => {
    const engines = new CallEngines({
      config: { tts: { provider: 'openai', url: server.origin, keyEnv: 'OPENAI_API_KEY' } },
      insecure: false,
      offline,
      cloud: createCloudEngineFactory({
        env: { OPENAI_API_KEY: server.key },
        secretEnv: SecretEnvAllowList.parse('OPENAI_API_KEY'),
        policy: new OutboundPolicy({ denyCidrs: [] }),
      }),
      slots: new FallbackSlots(1),
      log: silentLogger,
    });
    try {
      await engines.prepare(AbortSignal.timeout(10_000));
      server.stallAfterBytes = 9600; // 200 ms of audio, then nothing
      const chunks: Int16Array[] = [];
      const times: number[] = [];
      for await (const chunk of engines.tts.synthesize('We open at nine tomorrow morning.', {
        sampleRateHz: 8000,
        signal: AbortSignal.timeout(20_000),
      })) {
        times.push(performance.now());
        chunks.push(chunk);
      }
      // The silence the caller heard: from the provider's last chunk to the fallback's first.
      const longestGapMs = Math.max(...times.slice(1).map((t, i) => t - times[i]!));
      const usage = engines.usage();
      expect(usage.tts).to.include({ provider: 'openai', model: 'gpt-4o-mini-tts', switchedTo: 'flite' });
      expect(usage.tts.switchReason).to.equal('no audio within 1000 ms');
      // The provider's 200 ms, then flite's whole sentence (well over a second).
      expect(concat(chunks).length).to.be.greaterThan(1600 + 8000);
      // The switch itself is the 1 s stall rule (its reason above); flite's start-up comes on top and
      // grows with the machine's load, so the bound here only says the fallback did not wait for the
      // request's own 20 s timeout (docs/engines.md quotes the gap measured on a quiet machine).
      expect(longestGapMs, 'the fallback spoke long before the request timed out').to.be.lessThan(10_000);
      await waitFor('the stalled request dropped', 5000, () => server.aborted === 1);
    } finally {
      engines.close();
    }
  });
});
