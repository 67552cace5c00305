import { expect } from 'chai';
import { AsyncQueue } from '../../src/async-queue.ts';
import { OpenAiStt, type OpenAiSttOptions } from '../../src/engines/openai-stt.ts';
import { EngineError } from '../../src/stt/engine-error.ts';
import type { Transcript } from '../../src/stt/speech-to-text.ts';
import { withTimeout } from '../../../../test/support/wait-for.ts';
import { muLawDecode, rms } from './audio-helpers.ts';
import {
  OpenAiTranscriptionWireServer,
  completed,
  errorEvent,
  transcription,
  vadTurn,
} from './openai-transcription-wire-server.ts';

// Pages the local server is written from are cited in openai-transcription-wire-server.ts.
const FRAME = 160; // 20 ms at 8 kHz

/** `ms` of audio: a 400 Hz tone at about -16 dBFS where `voiced(ms)` says so, else digital silence. */
function audio(ms: number, voiced: (atMs: number) => boolean = () => true): AsyncQueue<Int16Array> {
  const queue = new AsyncQueue<Int16Array>(100_000);
  for (let frame = 0; frame < ms / 20; frame++) {
    const samples = new Int16Array(FRAME);
    if (voiced(frame * 20))
      for (let i = 0; i < FRAME; i++) samples[i] = Math.round(5000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
    queue.push(samples);
  }
  queue.close();
  return queue;
}

async function collect(stt: OpenAiStt, source: AsyncIterable<Int16Array>, signal: AbortSignal): Promise<Transcript[]> {
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

const summary = (t: Transcript): unknown[] => [t.text, t.final, t.endpoint];

describe('OpenAiStt against a local OpenAI realtime transcription server', () => {
  let server: OpenAiTranscriptionWireServer;
  const engines: OpenAiStt[] = [];

  beforeEach(async () => {
    server = await OpenAiTranscriptionWireServer.start();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server.close();
  });

  const make = (options: Partial<OpenAiSttOptions> = {}): OpenAiStt => {
    const stt = new OpenAiStt({
      url: server.url,
      apiKey: server.key,
      keyName: 'engines.stt.keyEnv (OPENAI_API_KEY)',
      backoffMs: 10,
      ...options,
    });
    engines.push(stt);
    return stt;
  };

  it('configures a transcription session (audio/pcmu, server VAD) and streams μ-law in 40 ms appends; deltas are interims, completed the final', async () => {
    server.script = {
      frames: [
        {
          atAudioMs: 200,
          frame: { type: 'input_audio_buffer.speech_started', audio_start_ms: 100, item_id: 'item_1' },
        },
        // The live models stream words while the caller speaks: the end of the turn repeats them with its endpoint.
        ...transcription('item_1', ['do', 'you'])
          .slice(0, 2)
          .map((frame, i) => ({ atAudioMs: 300 + i * 100, frame })),
        { atAudioMs: 600, frame: vadTurn('item_1', [], { startMs: 100, endMs: 700 })[1]! },
        { atAudioMs: 640, frame: vadTurn('item_1', [], { startMs: 100, endMs: 700 })[2]! },
        { atAudioMs: 660, frame: completed('item_1', 'Do you sell bicycles?') },
        ...vadTurn('item_2', ['and', 'helmets'], { startMs: 900, endMs: 1300 }).map((frame) => ({
          atAudioMs: 1400,
          frame,
        })),
      ],
    };
    const stt = make({ language: 'en-US' });
    const got = await collect(stt, audio(1600), AbortSignal.timeout(10_000));
    expect(got.map(summary)).to.deep.equal([
      ['do', false, undefined],
      ['do you', false, undefined],
      ['do you', false, 'end-of-turn'],
      ['Do you sell bicycles?', true, 'end-of-turn'],
      ['and', false, undefined],
      ['and helmets', false, undefined],
      ['and helmets', true, 'end-of-turn'],
    ]);
    expect(got[3]).to.include({ startMs: 100, endMs: 700 });
    const [connection] = server.connections;
    expect(connection!.url.pathname).to.equal('/v1/realtime');
    expect(connection!.url.searchParams.get('intent')).to.equal('transcription');
    expect(connection!.url.searchParams.has('model')).to.equal(false);
    expect(connection!.headers.authorization).to.equal(`Bearer ${server.key}`);
    expect(connection!.texts[0]).to.deep.equal({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            transcription: { model: 'gpt-4o-transcribe', language: 'en' },
            turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
          },
        },
      },
    });
    // Appends, then the commit that closes the audio (the server VAD had committed every turn: an empty item).
    const sent = (connection!.texts.slice(1) as { type: string }[]).map((m) => m.type);
    expect(new Set(sent.slice(0, -1))).to.deep.equal(new Set(['input_audio_buffer.append']));
    expect(sent.at(-1)).to.equal('input_audio_buffer.commit');
    const chunks = server.audio.get(connection!)!;
    expect(new Set(chunks.map((c) => c.length))).to.deep.equal(new Set([2 * FRAME]));
    expect(server.audioBytes(connection)).to.equal(1600 * 8);
    expect(stt.audioSeconds).to.equal(1.6);
    // The bytes are G.711 μ-law of the tone, decoded here by the classic algorithm, not ours.
    const decoded = Int16Array.from(Buffer.concat(chunks), (code) => muLawDecode(code));
    expect(rms(decoded) / (5000 / Math.SQRT2)).to.be.within(0.97, 1.03);
    expect(await withTimeout(connection!.closed, 'the session closed', 5000)).to.deep.equal({ code: 1000 });
  });

  it('gives finals in the order the turns ended when the completed events come out of order', async () => {
    const [started1, stopped1, committed1] = vadTurn('item_a', [], { startMs: 0, endMs: 300 });
    const [started2, stopped2, committed2] = vadTurn('item_b', [], { startMs: 500, endMs: 800 });
    server.script = {
      frames: [started1, stopped1, committed1, started2, stopped2, committed2].map((frame) => ({
        atAudioMs: 200,
        frame,
      })),
    };
    server.script.frames!.push(
      { atAudioMs: 400, frame: completed('item_b', 'second') },
      { atAudioMs: 600, frame: completed('item_a', 'first') },
    );
    const got = await collect(make(), audio(800), AbortSignal.timeout(10_000));
    expect(got.map(summary)).to.deep.equal([
      ['first', true, 'end-of-turn'],
      ['second', true, 'end-of-turn'],
    ]);
  });

  it('gpt-live-transcribe: no turn detection; our VAD commits each turn, and the end of the audio commits the last', async () => {
    server.script = {
      onCommit: (itemId, audioMs) => transcription(itemId, audioMs < 1500 ? ['first', 'turn'] : ['cut', 'short']),
    };
    const stt = make({ model: 'gpt-live-transcribe' });
    // Voice 0-600 ms, silence to 1200 ms (a turn), voice again from 1200 ms to the end of the audio.
    const got = await collect(
      stt,
      audio(1600, (ms) => ms < 600 || ms >= 1200),
      AbortSignal.timeout(10_000),
    );
    expect(got.filter((t) => t.final).map(summary)).to.deep.equal([
      ['first turn', true, 'end-of-turn'],
      ['cut short', true, 'stream-end'],
    ]);
    const sent = server.connections[0]!.texts as { type: string; session?: { audio: { input: object } } }[];
    expect(sent[0]!.session!.audio.input).to.deep.include({
      transcription: { model: 'gpt-live-transcribe' },
      turn_detection: null,
    });
    expect(sent.filter((m) => m.type === 'input_audio_buffer.commit')).to.have.length(2);
  });

  it('opens and configures the session before the answer; closing the engine closes it', async () => {
    const stt = make();
    await stt.prepare(AbortSignal.timeout(5000));
    expect(server.connections).to.have.length(1);
    expect((server.connections[0]!.texts[0] as { type: string }).type).to.equal('session.update');
    expect(stt.lastMessageAtMs).to.be.a('number');
    await stt.close();
    expect(await withTimeout(server.connections[0]!.closed, 'the session closed', 5000)).to.deep.equal({ code: 1000 });
  });

  it('the end of the audio right after a commit: the provider refuses the empty commit and the stream ends cleanly', async () => {
    server.script = { onCommit: (itemId) => transcription(itemId, ['only', 'turn']) };
    const stt = make({ model: 'gpt-realtime-whisper' });
    // Voice to 600 ms, then exactly the 500 ms of silence that commits the turn, then the audio ends.
    const got = await collect(
      stt,
      audio(1100, (ms) => ms < 600),
      AbortSignal.timeout(10_000),
    );
    expect(got.filter((t) => t.final).map(summary)).to.deep.equal([['only turn', true, 'end-of-turn']]);
    const commits = (server.connections[0]!.texts as { type: string }[]).filter(
      (m) => m.type === 'input_audio_buffer.commit',
    );
    expect(commits).to.have.length(2);
  });

  it('ignores malformed messages and unknown events without failing the stream', async () => {
    server.script = {
      frames: [
        { atAudioMs: 100, frame: 'not json {' },
        { atAudioMs: 120, frame: '[1,2]' },
        { atAudioMs: 140, frame: { type: 'conversation.item.added', item: {} } },
        { atAudioMs: 160, frame: { type: 'conversation.item.input_audio_transcription.delta', delta: 7 } },
        { atAudioMs: 180, frame: { type: 'input_audio_buffer.committed' } },
        { atAudioMs: 200, frame: { type: 'conversation.item.input_audio_transcription.completed', item_id: 'x' } },
        ...vadTurn('item_1', ['still', 'here'], { startMs: 0, endMs: 200 }).map((frame) => ({ atAudioMs: 300, frame })),
      ],
    };
    const got = await collect(make(), audio(400), AbortSignal.timeout(10_000));
    expect(got.filter((t) => t.final).map((t) => t.text)).to.deep.equal(['still here']);
  });

  it('an error event ends the stream with a retryable EngineError carrying it', async () => {
    server.script = { frames: [{ atAudioMs: 100, frame: errorEvent('server_error', 'internal_error', 'try again') }] };
    const error = await failureOf(collect(make(), audio(400), AbortSignal.timeout(5000)));
    expect(error).to.be.instanceOf(EngineError);
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect((error as Error).message).to.equal('openai: provider error: server_error internal_error try again');
  });

  it('a failed transcription of a turn ends the stream with a retryable EngineError', async () => {
    const failed = {
      type: 'conversation.item.input_audio_transcription.failed',
      item_id: 'item_1',
      content_index: 0,
      error: { type: 'server_error', code: 'failed', message: 'transcription failed' },
    };
    server.script = {
      frames: [...vadTurn('item_1', [], { startMs: 0, endMs: 100 }).slice(0, 3), failed].map((frame) => ({
        atAudioMs: 200,
        frame,
      })),
    };
    const error = await failureOf(collect(make(), audio(400), AbortSignal.timeout(5000)));
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect((error as Error).message).to.include('transcription failed');
  });

  it('401 at connect: VB_CONFIG_INVALID naming the key variable, not retried; 429 and 5xx are retried', async () => {
    server.refuse({ status: 401 });
    const refused = await failureOf(make().prepare(AbortSignal.timeout(5000)));
    expect(refused).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((refused as Error).message).to.equal(
      'openai: the provider refused the key in engines.stt.keyEnv (OPENAI_API_KEY) (401)',
    );
    expect(server.attempts).to.equal(1);
    server.refuse({ status: 429, retryAfterS: 0 }, { status: 503 });
    server.script = {
      frames: vadTurn('item_1', ['ok'], { startMs: 0, endMs: 100 }).map((frame) => ({ atAudioMs: 100, frame })),
    };
    const got = await collect(make(), audio(200), AbortSignal.timeout(10_000));
    expect(got.filter((t) => t.final).map((t) => t.text)).to.deep.equal(['ok']);
    expect(server.attempts).to.equal(4);
  });

  it('a key or model the provider refuses in the session refuses the call (VB_CONFIG_INVALID), naming the variable for the key', async () => {
    const wrongKey = await failureOf(make({ apiKey: 'sk-wrong' }).prepare(AbortSignal.timeout(5000)));
    expect(wrongKey).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((wrongKey as Error).message).to.equal(
      'openai: the provider refused the key in engines.stt.keyEnv (OPENAI_API_KEY)',
    );
    const badModel = await failureOf(make({ model: 'gpt-imaginary' }).prepare(AbortSignal.timeout(5000)));
    expect(badModel).to.include({ code: 'VB_CONFIG_INVALID' });
    expect((badModel as Error).message).to.include('refused the session: invalid_request_error invalid_value');
    server.script = { sessionError: { type: 'server_error', code: 'overloaded', message: 'busy' } };
    const busy = await failureOf(make().prepare(AbortSignal.timeout(5000)));
    expect(busy).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
  });

  it('a socket dropped mid-stream ends the transcripts with a retryable EngineError', async () => {
    server.script = {
      frames: vadTurn('item_1', ['before', 'the', 'drop'], { startMs: 0, endMs: 100 }).map((frame) => ({
        atAudioMs: 100,
        frame,
      })),
      dropAtAudioMs: 300,
    };
    const caller = new AsyncQueue<Int16Array>(10_000);
    for (let i = 0; i < 50; i++) caller.push(new Int16Array(FRAME));
    const finals: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const t of make().transcribe(caller, { sampleRateHz: 8000, signal: AbortSignal.timeout(5000) }))
          if (t.final) finals.push(t.text);
      })(),
    );
    expect(finals).to.deep.equal(['before the drop']);
    expect(error).to.include({ code: 'VB_ENGINE_FAILED', retryable: true });
    expect((error as Error).message).to.include('the socket closed mid-stream');
  });
});
