import { expect } from 'chai';
import { DeepgramAuraTts, type DeepgramAuraTtsOptions } from '../../src/engines/deepgram-aura-tts.ts';
import { EngineError } from '../../src/stt/engine-error.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';
import { AuraWireServer } from './aura-wire-server.ts';

async function samplesOf(tts: DeepgramAuraTts, text: string, signal = AbortSignal.timeout(10_000)): Promise<number> {
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

type Sent = { type?: string; text?: string };

describe('DeepgramAuraTts against a local Deepgram Aura-wire server', () => {
  let server: AuraWireServer;
  const engines: DeepgramAuraTts[] = [];

  beforeEach(async () => {
    server = await AuraWireServer.start();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server.close();
  });

  const make = (options: Partial<DeepgramAuraTtsOptions> = {}): DeepgramAuraTts => {
    const tts = new DeepgramAuraTts({
      url: server.url,
      apiKey: server.key,
      keyName: 'engines.tts.keyEnv DEEPGRAM_API_KEY',
      backoffMs: 10,
      ...options,
    });
    engines.push(tts);
    return tts;
  };

  it('one socket, Speak then Flush per reply, linear16 8 kHz back until Flushed', async () => {
    const tts = make({ voice: 'thalia' });
    await tts.prepare(AbortSignal.timeout(5000));
    expect(await samplesOf(tts, 'Hello there.')).to.equal(12 * 20 * 8);
    expect(await samplesOf(tts, 'How can I help?')).to.equal(15 * 20 * 8);
    expect(server.connections).to.have.length(1);
    const [connection] = server.connections;
    expect(connection!.url.pathname).to.equal('/v1/speak');
    expect(Object.fromEntries(connection!.url.searchParams)).to.deep.equal({
      model: 'aura-2-thalia-en',
      encoding: 'linear16',
      sample_rate: '8000',
    });
    expect(connection!.headers.authorization).to.equal(`Token ${server.key}`);
    expect(connection!.texts).to.deep.equal([
      { type: 'Speak', text: 'Hello there.' },
      { type: 'Flush' },
      { type: 'Speak', text: 'How can I help?' },
      { type: 'Flush' },
    ]);
    expect(tts.characters).to.equal(27);
  });

  it('the flush limit: 30 replies within a minute all get their audio and the server never warns', async () => {
    const tts = make();
    for (let i = 0; i < 30; i++) expect(await samplesOf(tts, `Reply ${i}.`), `reply ${i}`).to.be.greaterThan(0);
    expect(server.warningCount).to.equal(0);
    // 20 flushes per socket at most; the next socket was opened ahead of need.
    for (const connection of server.connections)
      expect(connection.texts.filter((t) => (t as Sent).type === 'Flush').length).to.be.at.most(20);
    expect(server.connections.length).to.equal(2);
    await waitFor('the spent socket closed with Close', 5000, () =>
      (server.connections[0]!.texts.at(-1) as Sent).type === 'Close' ? true : undefined,
    );
  });

  it('a client that ignored the limit is told by a Warning: the reply fails retryably instead of waiting', async () => {
    const tts = make({ flushLimit: 1000 });
    for (let i = 0; i < 20; i++) await samplesOf(tts, `Reply ${i}.`);
    const error = await failureOf(samplesOf(tts, 'One too many.'));
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect((error as Error).message).to.match(/FLUSH_LIMIT/);
    expect(server.warningCount).to.equal(1);
  });

  it('barge-in sends Clear; audio before Cleared is dropped and the next reply hears only its own', async () => {
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
    server.msPerChar = 20;
    expect(await samplesOf(tts, 'Next.')).to.equal(5 * 20 * 8);
    expect(server.connections[0]!.texts.map((t) => (t as Sent).type)).to.deep.equal([
      'Speak',
      'Flush',
      'Clear',
      'Speak',
      'Flush',
    ]);
  });

  it('401: VB_CONFIG_INVALID naming the key variable, not retried; 429 and 5xx are retried', async () => {
    server.refuse({ status: 401 });
    const refused = await failureOf(make().prepare(AbortSignal.timeout(5000)));
    expect(refused).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((refused as Error).message).to.include('engines.tts.keyEnv DEEPGRAM_API_KEY (401)');
    expect(server.attempts).to.equal(1);
    server.refuse({ status: 429, retryAfterS: 0 }, { status: 503 });
    expect(await samplesOf(make(), 'Back again.')).to.be.greaterThan(0);
    expect(server.attempts).to.equal(4);
  });

  it('a provider killed mid-reply fails the reply retryably; malformed frames are ignored', async () => {
    server.msPerChar = 200;
    server.chunkGapMs = 20;
    const tts = make();
    await tts.prepare(AbortSignal.timeout(5000));
    server.connections[0]!.socket.send('not json');
    server.connections[0]!.socket.send('{"type": 7}');
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
