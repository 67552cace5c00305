import { expect } from 'chai';
import { EngineError } from '../../src/stt/engine-error.ts';
import type { Transcript } from '../../src/stt/speech-to-text.ts';
import { DeepgramStt, type DeepgramSttOptions } from '../../src/engines/deepgram-stt.ts';
import { AsyncQueue } from '../../src/async-queue.ts';
import { waitFor, withTimeout } from '../../../../test/support/wait-for.ts';
import { DeepgramWireServer, results } from './deepgram-wire-server.ts';

const FRAME = 160; // 20 ms at 8 kHz

/** `ms` of caller audio as 20 ms frames, then the end of the audio. */
function audio(ms: number): AsyncQueue<Int16Array> {
  const queue = new AsyncQueue<Int16Array>(10_000);
  for (let i = 0; i < ms / 20; i++) queue.push(new Int16Array(FRAME).fill(i % 2 === 0 ? 1000 : -1000));
  queue.close();
  return queue;
}

async function collect(
  stt: DeepgramStt,
  source: AsyncIterable<Int16Array>,
  signal: AbortSignal,
): Promise<Transcript[]> {
  const out: Transcript[] = [];
  for await (const transcript of stt.transcribe(source, { sampleRateHz: 8000, signal })) out.push(transcript);
  return out;
}

describe('DeepgramStt against a local Deepgram-wire server', () => {
  let server: DeepgramWireServer;
  const engines: DeepgramStt[] = [];

  beforeEach(async () => {
    server = await DeepgramWireServer.start();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server.close();
  });

  const make = (options: Partial<DeepgramSttOptions> = {}): DeepgramStt => {
    const stt = new DeepgramStt({
      url: server.url,
      apiKey: server.key,
      keyName: 'engines.stt.keyEnv DEEPGRAM_API_KEY',
      backoffMs: 10,
      ...options,
    });
    engines.push(stt);
    return stt;
  };

  it('streams PCM as linear16 8 kHz; interims build up, finals are joined into one turn at speech_final', async () => {
    server.script = {
      frames: [
        { atAudioMs: 200, frame: results('do you', { isFinal: false, durationS: 0.2 }) },
        { atAudioMs: 400, frame: results('do you sell', { isFinal: true, startS: 0, durationS: 0.4 }) },
        { atAudioMs: 600, frame: results('bicycles', { isFinal: false, startS: 0.4, durationS: 0.2 }) },
        {
          atAudioMs: 800,
          frame: results('bicycles', { isFinal: true, speechFinal: true, startS: 0.4, durationS: 0.4 }),
        },
        { atAudioMs: 1000, frame: results('', { isFinal: true, speechFinal: true, startS: 0.8 }) },
      ],
    };
    const stt = make({ model: 'nova-3', language: 'en-US' });
    const got = await collect(stt, audio(1200), AbortSignal.timeout(10_000));
    expect(got.map((t) => [t.text, t.final, t.endpoint])).to.deep.equal([
      ['do you', false, undefined],
      ['do you sell', false, undefined],
      ['do you sell bicycles', false, undefined],
      ['do you sell bicycles', true, 'speech-final'],
    ]);
    expect(got.at(-1)).to.include({ startMs: 0, endMs: 800 });
    const [connection] = server.connections;
    expect(connection!.url.pathname).to.equal('/v1/listen');
    expect(Object.fromEntries(connection!.url.searchParams)).to.include({
      model: 'nova-3',
      language: 'en-US',
      encoding: 'linear16',
      sample_rate: '8000',
      channels: '1',
      interim_results: 'true',
      utterance_end_ms: '1000',
      vad_events: 'true',
    });
    expect(connection!.binaryBytes).to.equal(1200 * 16);
    expect(stt.audioSeconds).to.equal(1.2);
    // The end of the audio: Finalize, then CloseStream.
    expect(connection!.texts).to.deep.equal([{ type: 'Finalize' }, { type: 'CloseStream' }]);
  });

  it('UtteranceEnd ends a turn that speech_final never closed; what Finalize returns at the end is a last turn', async () => {
    server.script = {
      frames: [
        { atAudioMs: 200, frame: results('hello there', { isFinal: true }) },
        { atAudioMs: 400, frame: { type: 'UtteranceEnd', channel: [0, 1], last_word_end: 0.9 } },
        { atAudioMs: 600, frame: results('and one more', { isFinal: false }) },
      ],
      onFinalize: [results('and one more thing', { isFinal: true, fromFinalize: true })],
    };
    const got = await collect(make(), audio(800), AbortSignal.timeout(10_000));
    expect(got.filter((t) => t.final).map((t) => [t.text, t.endpoint])).to.deep.equal([
      ['hello there', 'utterance-end'],
      ['and one more thing', 'stream-end'],
    ]);
  });

  it('ignores malformed frames and unknown types without failing the stream', async () => {
    server.script = {
      frames: [
        { atAudioMs: 100, frame: 'not json {' },
        { atAudioMs: 120, frame: '[1,2]' },
        { atAudioMs: 140, frame: { type: 'SpeechStarted', timestamp: 0.1 } },
        { atAudioMs: 160, frame: { type: 'Results', channel: 'garbage', is_final: true } },
        { atAudioMs: 300, frame: results('still here', { isFinal: true, speechFinal: true }) },
      ],
    };
    const got = await collect(make(), audio(400), AbortSignal.timeout(10_000));
    expect(got.map((t) => t.text)).to.deep.equal(['still here']);
  });

  it('SpeechStarted (vad_events=true; developers.deepgram.com/docs/speech-started) reaches onSpeechStart, once per event, before the words', async () => {
    server.script = {
      frames: [
        { atAudioMs: 100, frame: { type: 'SpeechStarted', channel: [0, 1], timestamp: 0.08 } },
        { atAudioMs: 300, frame: results('hello', { isFinal: true, speechFinal: true }) },
      ],
    };
    const order: string[] = [];
    const stt = make();
    for await (const t of stt.transcribe(audio(400), {
      sampleRateHz: 8000,
      signal: AbortSignal.timeout(10_000),
      onSpeechStart: () => order.push('speech-start'),
    }))
      order.push(t.text);
    expect(order).to.deep.equal(['speech-start', 'hello']);
    expect(server.connections[0]?.url.searchParams.get('vad_events')).to.equal('true');
  });

  it('sends KeepAlive while no audio flows, so the provider does not close an idle (held) call', async () => {
    server.idleCloseMs = 400;
    const stt = make({ keepAliveMs: 100 });
    await stt.prepare(AbortSignal.timeout(5000));
    const caller = new AsyncQueue<Int16Array>(100);
    const controller = new AbortController();
    const run = collect(stt, caller, controller.signal);
    await waitFor('KeepAlive frames covering three idle closes', 5000, () =>
      server.connections[0]!.texts.filter((t) => (t as { type?: string }).type === 'KeepAlive').length >= 12
        ? true
        : undefined,
    );
    caller.close();
    await withTimeout(run, 'the stream to end', 5000);
    expect(server.connections).to.have.length(1);
  });

  it('without KeepAlive the provider closes an idle socket: a retryable EngineError, not a hang', async () => {
    server.idleCloseMs = 150;
    const stt = make({ keepAliveMs: 60_000 });
    const caller = new AsyncQueue<Int16Array>(100);
    const error = await collect(stt, caller, AbortSignal.timeout(5000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(EngineError);
    expect((error as EngineError).retryable).to.equal(true);
    expect((error as EngineError).message).to.include('NET-0001');
  });

  it('401: a VB_CONFIG_INVALID error naming the key variable, not retried', async () => {
    server.refuse({ status: 401 });
    const error = await make()
      .prepare(AbortSignal.timeout(5000))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(EngineError);
    expect(error).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((error as Error).message).to.equal(
      'deepgram: the provider refused the key in engines.stt.keyEnv DEEPGRAM_API_KEY (401)',
    );
    expect(server.attempts).to.equal(1);
  });

  it('429 and 503 are retried with back-off (Retry-After honoured) and then connect', async () => {
    server.refuse({ status: 429, retryAfterS: 0 }, { status: 503 });
    server.script = { frames: [{ atAudioMs: 100, frame: results('ok', { isFinal: true, speechFinal: true }) }] };
    const got = await collect(make(), audio(200), AbortSignal.timeout(10_000));
    expect(got.map((t) => t.text)).to.deep.equal(['ok']);
    expect(server.attempts).to.equal(3);
  });

  it('gives up after its retries on a provider that keeps failing: a retryable error', async () => {
    server.refuse({ status: 500 }, { status: 502 }, { status: 503 });
    const error = await make({ retries: 2 })
      .prepare(AbortSignal.timeout(5000))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect(server.attempts).to.equal(3);
  });

  it('a socket dropped mid-stream ends the transcripts with a retryable EngineError', async () => {
    server.script = {
      frames: [{ atAudioMs: 100, frame: results('before the drop', { isFinal: true, speechFinal: true }) }],
      dropAtAudioMs: 300,
    };
    const caller = new AsyncQueue<Int16Array>(10_000);
    for (let i = 0; i < 50; i++) caller.push(new Int16Array(FRAME));
    const seen: string[] = [];
    const error = await (async () => {
      for await (const t of make().transcribe(caller, { sampleRateHz: 8000, signal: AbortSignal.timeout(5000) }))
        seen.push(t.text);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(seen).to.deep.equal(['before the drop']);
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
  });

  it('aborting ends the stream at once with the reason and closes the socket', async () => {
    const stt = make();
    const caller = new AsyncQueue<Int16Array>(100);
    const controller = new AbortController();
    const run = collect(stt, caller, controller.signal);
    await waitFor('the socket', 5000, () => server.connections[0]);
    controller.abort(new Error('hung up'));
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).to.equal('hung up');
    await withTimeout(server.connections[0]!.closed, 'the socket to close', 5000);
  });
});
