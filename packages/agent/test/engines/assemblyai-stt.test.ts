import { expect } from 'chai';
import { AssemblyAiStt, type AssemblyAiSttOptions } from '../../src/engines/assemblyai-stt.ts';
import { AsyncQueue } from '../../src/async-queue.ts';
import { EngineError } from '../../src/stt/engine-error.ts';
import type { Transcript } from '../../src/stt/speech-to-text.ts';
import { withTimeout } from '../../../../test/support/wait-for.ts';
import { AssemblyAiWireServer, turn } from './assemblyai-wire-server.ts';

const FRAME = 160; // 20 ms at 8 kHz

function audio(ms: number): AsyncQueue<Int16Array> {
  const queue = new AsyncQueue<Int16Array>(10_000);
  for (let i = 0; i < ms / 20; i++) queue.push(new Int16Array(FRAME).fill(i % 2 === 0 ? 1000 : -1000));
  queue.close();
  return queue;
}

async function collect(
  stt: AssemblyAiStt,
  source: AsyncIterable<Int16Array>,
  signal: AbortSignal,
): Promise<Transcript[]> {
  const out: Transcript[] = [];
  for await (const transcript of stt.transcribe(source, { sampleRateHz: 8000, signal })) out.push(transcript);
  return out;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('AssemblyAiStt against a local AssemblyAI Universal-Streaming v3 server', () => {
  let server: AssemblyAiWireServer;
  const engines: AssemblyAiStt[] = [];

  beforeEach(async () => {
    server = await AssemblyAiWireServer.start();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server.close();
  });

  const make = (options: Partial<AssemblyAiSttOptions> = {}): AssemblyAiStt => {
    const stt = new AssemblyAiStt({
      url: server.url,
      apiKey: server.key,
      keyName: 'engines.stt.keyEnv ASSEMBLYAI_API_KEY',
      backoffMs: 10,
      ...options,
    });
    engines.push(stt);
    return stt;
  };

  it('streams pcm_s16le 8 kHz in 60 ms messages; cumulative Turns are interims until end_of_turn, the final once', async () => {
    server.script = {
      frames: [
        { atAudioMs: 200, frame: turn('do you', { order: 0, endOfTurn: false }) },
        { atAudioMs: 400, frame: turn('do you sell', { order: 0, endOfTurn: false }) },
        {
          atAudioMs: 600,
          frame: turn('do you sell bicycles', { order: 0, endOfTurn: true, startMs: 100, endMs: 700 }),
        },
        // The formatted copy of the same turn (format_turns) is not a second final.
        { atAudioMs: 660, frame: turn('Do you sell bicycles?', { order: 0, endOfTurn: true, formatted: true }) },
        { atAudioMs: 900, frame: turn('and helmets', { order: 1, endOfTurn: false }) },
      ],
      onTerminate: [turn('and helmets too', { order: 1, endOfTurn: true })],
    };
    const stt = make({ model: 'universal-streaming-english' });
    const got = await collect(stt, audio(1200), AbortSignal.timeout(10_000));
    expect(got.map((t) => [t.text, t.final, t.endpoint])).to.deep.equal([
      ['do you', false, undefined],
      ['do you sell', false, undefined],
      ['do you sell bicycles', true, 'end-of-turn'],
      ['and helmets', false, undefined],
      ['and helmets too', true, 'end-of-turn'],
    ]);
    expect(got[2]).to.include({ startMs: 100, endMs: 700 });
    const [connection] = server.connections;
    expect(connection!.url.pathname).to.equal('/v3/ws');
    expect(Object.fromEntries(connection!.url.searchParams)).to.deep.equal({
      speech_model: 'universal-streaming-english',
      sample_rate: '8000',
      encoding: 'pcm_s16le',
      format_turns: 'false',
    });
    expect(connection!.headers.authorization).to.equal(server.key);
    expect(connection!.binaryBytes).to.equal(1200 * 16);
    expect(new Set(connection!.binarySizes)).to.deep.equal(new Set([3 * FRAME * 2]));
    expect(stt.audioSeconds).to.equal(1.2);
    expect(connection!.texts).to.deep.equal([{ type: 'Terminate' }]);
    expect(await withTimeout(connection!.closed, 'the session closed', 5000)).to.deep.equal({ code: 1000 });
  });

  it('the session is opened before the answer and terminated when the call closes (AssemblyAI bills open sessions)', async () => {
    const stt = make();
    await stt.prepare(AbortSignal.timeout(5000));
    expect(server.connections).to.have.length(1);
    await stt.close();
    const closed = await withTimeout(server.connections[0]!.closed, 'the session closed', 5000);
    expect(closed.code).to.equal(1000);
    expect(server.connections[0]!.texts).to.deep.equal([{ type: 'Terminate' }]);
  });

  it('ignores malformed frames and unknown types without failing the stream', async () => {
    server.script = {
      frames: [
        { atAudioMs: 100, frame: 'not json {' },
        { atAudioMs: 120, frame: '[1,2]' },
        { atAudioMs: 140, frame: { type: 'SpeechStarted', timestamp: 100 } },
        { atAudioMs: 160, frame: { type: 'Turn', transcript: 7, words: 'x' } },
        { atAudioMs: 300, frame: turn('still here', { order: 0, endOfTurn: true }) },
      ],
    };
    const got = await collect(make(), audio(400), AbortSignal.timeout(10_000));
    expect(got.map((t) => t.text)).to.deep.equal(['still here']);
  });

  it('a provider error message ends the stream with a retryable EngineError carrying it', async () => {
    server.script = { frames: [{ atAudioMs: 100, frame: { error: 'Input duration violation: 10 ms' } }] };
    const caller = new AsyncQueue<Int16Array>(10_000);
    for (let i = 0; i < 50; i++) caller.push(new Int16Array(FRAME));
    const error = await failureOf(collect(make(), caller, AbortSignal.timeout(5000)));
    expect(error).to.be.instanceOf(EngineError);
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect((error as Error).message).to.include('Input duration violation');
  });

  it('401: VB_CONFIG_INVALID naming the key variable, not retried; 429 and 5xx are retried', async () => {
    server.refuse({ status: 401 });
    const refused = await failureOf(make().prepare(AbortSignal.timeout(5000)));
    expect(refused).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((refused as Error).message).to.equal(
      'assemblyai: the provider refused the key in engines.stt.keyEnv ASSEMBLYAI_API_KEY (401)',
    );
    expect(server.attempts).to.equal(1);
    server.refuse({ status: 429, retryAfterS: 0 }, { status: 503 });
    server.script = { frames: [{ atAudioMs: 100, frame: turn('ok', { order: 0, endOfTurn: true }) }] };
    expect((await collect(make(), audio(200), AbortSignal.timeout(10_000))).map((t) => t.text)).to.deep.equal(['ok']);
    expect(server.attempts).to.equal(4);
  });

  it('a key refused after the upgrade (close 1008) fails the stream instead of hanging', async () => {
    const stt = make({ apiKey: 'wrong' });
    const caller = new AsyncQueue<Int16Array>(100);
    const error = await failureOf(collect(stt, caller, AbortSignal.timeout(5000)));
    expect(error).to.include({ code: 'VB_ENGINE_FAILED' });
    expect((error as Error).message).to.include('1008: Unauthorized connection');
  });

  it('a socket dropped mid-stream ends the transcripts with a retryable EngineError', async () => {
    server.script = {
      frames: [{ atAudioMs: 100, frame: turn('before the drop', { order: 0, endOfTurn: true }) }],
      dropAtAudioMs: 300,
    };
    const caller = new AsyncQueue<Int16Array>(10_000);
    for (let i = 0; i < 50; i++) caller.push(new Int16Array(FRAME));
    const seen: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const t of make().transcribe(caller, { sampleRateHz: 8000, signal: AbortSignal.timeout(5000) }))
          seen.push(t.text);
      })(),
    );
    expect(seen).to.deep.equal(['before the drop']);
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
  });
});
