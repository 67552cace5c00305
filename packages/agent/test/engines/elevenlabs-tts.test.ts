import { expect } from 'chai';
import { ElevenLabsTts, type ElevenLabsTtsOptions } from '../../src/engines/elevenlabs-tts.ts';
import { EngineError } from '../../src/stt/engine-error.ts';
import { waitFor, withTimeout } from '../../../../test/support/wait-for.ts';
import { ElevenLabsWireServer } from './elevenlabs-wire-server.ts';

async function samplesOf(tts: ElevenLabsTts, text: string, signal = AbortSignal.timeout(10_000)): Promise<number> {
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

describe('ElevenLabsTts against a local ElevenLabs-wire (multi-context) server', () => {
  let server: ElevenLabsWireServer;
  const engines: ElevenLabsTts[] = [];

  beforeEach(async () => {
    server = await ElevenLabsWireServer.start();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server.close();
  });

  const make = (options: Partial<ElevenLabsTtsOptions> = {}): ElevenLabsTts => {
    const tts = new ElevenLabsTts({
      url: server.origin,
      apiKey: server.key,
      keyName: 'engines.tts.keyEnv ELEVENLABS_API_KEY',
      backoffMs: 10,
      ...options,
    });
    engines.push(tts);
    return tts;
  };

  it('one socket per call, one flushed context per reply, audio as 8 kHz PCM until isFinal, each context closed', async () => {
    const tts = make({ voice: 'voice-123', model: 'eleven_flash_v2_5' });
    await tts.prepare(AbortSignal.timeout(5000));
    expect(await samplesOf(tts, 'Hello there.')).to.equal(12 * 20 * 8);
    expect(await samplesOf(tts, 'How can I help?')).to.equal(15 * 20 * 8);
    expect(server.connections).to.have.length(1);
    const [connection] = server.connections;
    expect(connection!.url.pathname).to.equal('/v1/text-to-speech/voice-123/multi-stream-input');
    expect(Object.fromEntries(connection!.url.searchParams)).to.include({
      model_id: 'eleven_flash_v2_5',
      output_format: 'pcm_8000',
      inactivity_timeout: '180',
    });
    await waitFor('both contexts closed', 5000, () =>
      server.openContexts.get(connection!)?.size === 0 ? true : undefined,
    );
    expect(connection!.texts).to.deep.equal([
      { text: 'Hello there. ', context_id: 'r1', flush: true },
      { context_id: 'r1', close_context: true },
      { text: 'How can I help? ', context_id: 'r2', flush: true },
      { context_id: 'r2', close_context: true },
    ]);
    expect(tts.characters).to.equal(27);
  });

  it('barge-in closes the context at the provider; ten interrupted replies in a row stay under the 5-context limit', async () => {
    server.msPerChar = 200; // long replies: each is interrupted mid-stream
    const tts = make();
    for (let i = 0; i < 10; i++) {
      const barge = new AbortController();
      let chunks = 0;
      const error = await failureOf(
        (async () => {
          for await (const _chunk of tts.synthesize(`Reply number ${i} is a long one.`, {
            sampleRateHz: 8000,
            signal: barge.signal,
          })) {
            if (++chunks === 2) barge.abort(new Error('barge-in'));
          }
        })(),
      );
      expect((error as Error).message).to.equal('barge-in');
    }
    expect(server.connections).to.have.length(1);
    expect(tts.cancelled).to.equal(10);
    await waitFor('ten close_context messages', 5000, () =>
      server.connections[0]!.texts.filter((t) => (t as { close_context?: boolean }).close_context).length === 10
        ? true
        : undefined,
    );
    expect(server.openContexts.get(server.connections[0]!)?.size).to.equal(0);
  });

  it('the server enforces the limit: a client that left 5 contexts open gets 1008, surfaced as a retryable error', async () => {
    const tts = make();
    await tts.prepare(AbortSignal.timeout(5000));
    // Five contexts opened by hand on the server's side of the count, as a leaking client would leave them.
    for (let i = 0; i < 5; i++) server.openContexts.get(server.connections[0]!)!.add(`leak${i}`);
    const error = await failureOf(samplesOf(tts, 'One more.'));
    expect(error).to.be.instanceOf(EngineError);
    expect((error as EngineError).message).to.match(/1008|max_active_conversations/);
    expect((error as EngineError).retryable).to.equal(true);
  });

  it('a socket the provider closed while idle is reopened by the next reply', async () => {
    server.idleCloseMs = 100;
    const tts = make();
    expect(await samplesOf(tts, 'First.')).to.be.greaterThan(0);
    await withTimeout(server.connections[0]!.closed, 'the idle close', 5000);
    expect(await samplesOf(tts, 'Second.')).to.be.greaterThan(0);
    expect(server.connections).to.have.length(2);
  });

  it('401: VB_CONFIG_INVALID naming the key variable, not retried; 429 and 5xx are retried', async () => {
    server.refuse({ status: 401 });
    const refused = await failureOf(make().prepare(AbortSignal.timeout(5000)));
    expect(refused).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((refused as Error).message).to.include('engines.tts.keyEnv ELEVENLABS_API_KEY (401)');
    expect(server.attempts).to.equal(1);
    server.refuse({ status: 429 }, { status: 500 });
    expect(await samplesOf(make(), 'Back again.')).to.be.greaterThan(0);
    expect(server.attempts).to.equal(4);
  });

  it('a provider killed mid-reply ends the chunks with a retryable EngineError; malformed frames are ignored', async () => {
    server.msPerChar = 200;
    server.chunkGapMs = 20;
    const tts = make();
    await tts.prepare(AbortSignal.timeout(5000));
    server.connections[0]!.socket.send('not json');
    server.connections[0]!.socket.send('{"contextId": 7}');
    let chunks = 0;
    const error = await failureOf(
      (async () => {
        for await (const _chunk of tts.synthesize('A reply that will not finish.', {
          sampleRateHz: 8000,
          signal: AbortSignal.timeout(5000),
        })) {
          if (++chunks === 2) server.kill();
        }
      })(),
    );
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect(chunks).to.be.at.least(2);
  });
});
