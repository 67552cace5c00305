import { expect } from 'chai';
import { CARTESIA_VERSION, CartesiaTts, type CartesiaTtsOptions } from '../../src/engines/cartesia-tts.ts';
import { EngineError } from '../../src/stt/engine-error.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';
import { CartesiaWireServer } from './cartesia-wire-server.ts';

async function samplesOf(tts: CartesiaTts, text: string, signal = AbortSignal.timeout(10_000)): Promise<number> {
  let samples = 0;
  for await (const chunk of tts.synthesize(text, { sampleRateHz: 8000, signal })) samples += chunk.length;
  return samples;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('CartesiaTts against a local Cartesia-wire server', () => {
  let server: CartesiaWireServer;
  const engines: CartesiaTts[] = [];

  beforeEach(async () => {
    server = await CartesiaWireServer.start();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server.close();
  });

  const make = (options: Partial<CartesiaTtsOptions> = {}): CartesiaTts => {
    const tts = new CartesiaTts({
      url: server.origin,
      apiKey: server.key,
      keyName: 'engines.tts.keyEnv CARTESIA_API_KEY',
      backoffMs: 10,
      ...options,
    });
    engines.push(tts);
    return tts;
  };

  it('one socket per call, one context per reply sent whole (continue false), pcm_s16le 8 kHz until done', async () => {
    const tts = make({ voice: 'voice-1', model: 'sonic-2' });
    await tts.prepare(AbortSignal.timeout(5000));
    expect(await samplesOf(tts, 'Hello there.')).to.equal(12 * 20 * 8);
    expect(await samplesOf(tts, 'How can I help?')).to.equal(15 * 20 * 8);
    expect(server.connections).to.have.length(1);
    const [connection] = server.connections;
    expect(connection!.headers['cartesia-version']).to.equal(CARTESIA_VERSION);
    expect(connection!.headers.authorization).to.equal(`Bearer ${server.key}`);
    expect(connection!.texts[0]).to.deep.equal({
      model_id: 'sonic-2',
      transcript: 'Hello there.',
      voice: { mode: 'id', id: 'voice-1' },
      language: 'en',
      context_id: 'r1',
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 8000 },
      add_timestamps: true,
      continue: false,
    });
    expect((connection!.texts[1] as { context_id: string }).context_id).to.equal('r2');
    expect(tts.characters).to.equal(27);
  });

  it('barge-in cancels the context at the provider; its late chunks never reach the next reply', async () => {
    server.msPerChar = 200;
    server.chunkGapMs = 10;
    const tts = make();
    const barge = new AbortController();
    let chunks = 0;
    const error = await failureOf(
      (async () => {
        for await (const _chunk of tts.synthesize('A long reply the caller talks over.', {
          sampleRateHz: 8000,
          signal: barge.signal,
        }))
          if (++chunks === 2) barge.abort(new Error('barge-in'));
      })(),
    );
    expect((error as Error).message).to.equal('barge-in');
    expect(tts.cancelled).to.equal(1);
    await waitFor('the cancel at the provider', 5000, () =>
      server.connections[0]!.texts.some((t) => (t as { cancel?: boolean }).cancel === true) ? true : undefined,
    );
    expect(server.connections[0]!.texts[1]).to.deep.equal({ context_id: 'r1', cancel: true });
    expect(server.active.get(server.connections[0]!)?.has('r1')).to.equal(false);
    server.msPerChar = 20;
    expect(await samplesOf(tts, 'Next.')).to.equal(5 * 20 * 8);
  });

  it('a provider error for the context fails that reply retryably, with the error code and message', async () => {
    server.firstByteDelayMs = 5000; // the error, not the audio, answers the reply
    const tts = make();
    await tts.prepare(AbortSignal.timeout(5000));
    const replying = failureOf(samplesOf(tts, 'Hello.'));
    await waitFor('the request at the server', 5000, () =>
      server.connections[0]!.texts.length > 0 ? true : undefined,
    );
    server.connections[0]!.socket.send(
      JSON.stringify({
        type: 'error',
        done: true,
        status_code: 400,
        title: 'Invalid model',
        message: 'The model is not valid',
        error_code: 'model_not_found',
        context_id: 'r1',
      }),
    );
    const error = await replying;
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect((error as Error).message).to.include('model_not_found The model is not valid');
  });

  it('401: VB_CONFIG_INVALID naming the key variable, not retried; 429 and 5xx are retried', async () => {
    server.refuse({ status: 401 });
    const refused = await failureOf(make().prepare(AbortSignal.timeout(5000)));
    expect(refused).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((refused as Error).message).to.include('engines.tts.keyEnv CARTESIA_API_KEY (401)');
    expect(server.attempts).to.equal(1);
    server.refuse({ status: 429, retryAfterS: 0 }, { status: 502 });
    expect(await samplesOf(make(), 'Back again.')).to.be.greaterThan(0);
    expect(server.attempts).to.equal(4);
  });

  it('a provider killed mid-reply fails the reply retryably; malformed frames are ignored', async () => {
    server.msPerChar = 200;
    server.chunkGapMs = 20;
    const tts = make();
    await tts.prepare(AbortSignal.timeout(5000));
    server.connections[0]!.socket.send('not json');
    server.connections[0]!.socket.send('{"type": "chunk", "data": 5, "context_id": "nope"}');
    let chunks = 0;
    const error = await failureOf(
      (async () => {
        for await (const _chunk of tts.synthesize('A reply that will not finish.', {
          sampleRateHz: 8000,
          signal: AbortSignal.timeout(5000),
        }))
          if (++chunks === 2) server.kill();
      })(),
    );
    expect(error).to.be.instanceOf(EngineError);
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect(chunks).to.be.at.least(2);
  });

  it('a slow first byte keeps the reply waiting (the call-level fallback decides), then the audio comes', async () => {
    server.firstByteDelayMs = 300;
    const tts = make();
    const started = performance.now();
    expect(await samplesOf(tts, 'Late.')).to.equal(5 * 20 * 8);
    expect(performance.now() - started).to.be.at.least(290);
  });
});
