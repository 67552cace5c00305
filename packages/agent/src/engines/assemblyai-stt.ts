import WebSocket from 'ws';
import { iterateAbortable } from '../stt/abortable.ts';
import { EngineError } from '../stt/engine-error.ts';
import type { SpeechToText, Transcript, TranscribeOptions } from '../stt/speech-to-text.ts';
import {
  connectOptionsOf,
  describeProviderError,
  openEngineSocket,
  parseFrame,
  sendJson,
  type EngineConnectOptions,
} from './engine-socket.ts';
import { EventQueue } from './event-queue.ts';

export const ASSEMBLYAI_STREAMING_URL = 'wss://streaming.assemblyai.com/v3/ws';
/** `speech_model` is required by v3 (no default on the service). */
export const ASSEMBLYAI_DEFAULT_MODEL = 'universal-streaming-english';

export interface AssemblyAiSttOptions extends EngineConnectOptions {
  /** Default `ASSEMBLYAI_STREAMING_URL` (EU: `wss://streaming.eu.assemblyai.com/v3/ws`). */
  url?: string;
  /** Sent as `Authorization: KEY`. */
  apiKey?: string;
  model?: string;
  /** Frames batched per binary message: AssemblyAI wants ~50 ms chunks, our frames are 20 ms. Default 3 (60 ms). */
  framesPerMessage?: number;
  /** After the audio ends: how long to wait for `Termination` after `Terminate`. Default 3000. */
  drainTimeoutMs?: number;
}

type Event = { kind: 'turn'; payload: Record<string, unknown> } | { kind: 'terminated' };

/**
 * AssemblyAI Universal-Streaming v3 (https://www.assemblyai.com/docs/streaming/message-sequence,
 * https://assemblyai.com/docs/api-reference/streaming-api/streaming-api): 8 kHz `pcm_s16le` up as
 * binary messages of ~60 ms, `Turn`s down. A `Turn`'s `transcript` is the whole turn so far (not a
 * delta): it is an interim until `end_of_turn`, which is the turn's final (`endpoint:
 * 'end-of-turn'`). Turns are not formatted (`format_turns=false`): the formatted copy would come
 * after the end of turn, and the agent acts on the first. When the audio ends: `Terminate`, the
 * in-flight turns, `Termination`, close.
 *
 * AssemblyAI bills the session for as long as the socket is open, so it is opened in `prepare`
 * (before the answer) and closed — `Terminate` first — when the call's audio ends or the call closes.
 */
export class AssemblyAiStt implements SpeechToText {
  readonly #options: AssemblyAiSttOptions;
  #socket: WebSocket | undefined;
  #closed = false;
  #samplesSent = 0;
  #lastMessageAtMs: number | undefined;

  constructor(options: AssemblyAiSttOptions) {
    this.#options = options;
  }

  get audioSeconds(): number {
    return this.#samplesSent / 8000;
  }

  /** `performance.now()` of the provider's last message, of any kind (the stall check reads it). */
  get lastMessageAtMs(): number | undefined {
    return this.#lastMessageAtMs;
  }

  async prepare(signal: AbortSignal): Promise<void> {
    if (this.#socket === undefined) this.#socket = await this.#open(signal);
  }

  async *transcribe(audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncIterable<Transcript> {
    const { signal } = options;
    if (this.#closed) throw new EngineError('assemblyai', 'VB_CLOSED', 'closed');
    const socket = this.#socket ?? (await this.#open(signal));
    this.#socket = socket;
    const events = new EventQueue<Event>();
    let ending = false;
    socket.on('message', (data, isBinary) => {
      this.#lastMessageAtMs = performance.now();
      if (isBinary) return;
      const frame = parseFrame(data);
      const type = frame?.['type'];
      if (frame === undefined) this.#options.log?.warn({ engine: 'assemblyai' }, 'ignored a malformed message');
      else if (type === 'Turn') events.push({ kind: 'turn', payload: frame });
      else if (type === 'Termination') events.push({ kind: 'terminated' });
      else if (typeof frame['error'] === 'string')
        events.fail(
          new EngineError('assemblyai', 'VB_ENGINE_FAILED', `provider error: ${describeProviderError(frame)}`),
        );
    });
    socket.once('close', (code, reason) => {
      if (ending) events.end();
      else {
        const why = reason.length > 0 ? `: ${reason.toString('utf8').slice(0, 120)}` : '';
        events.fail(new EngineError('assemblyai', 'VB_ENGINE_FAILED', `the socket closed mid-stream (${code}${why})`));
      }
    });
    if (signal.aborted) throw signal.reason;
    const pumping = new AbortController();
    const onAbort = (): void => {
      pumping.abort(signal.reason);
      events.fail(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const pump = this.#pump(socket, audio, pumping.signal, () => (ending = true)).catch((error: unknown) => {
      if (!pumping.signal.aborted) events.fail(error);
    });
    const turns = new TurnTracker();
    try {
      for (;;) {
        const event = await events.next();
        if (event === undefined || event.kind === 'terminated') break;
        const transcript = turns.turn(event.payload);
        if (transcript !== undefined) yield transcript;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      pumping.abort();
      await pump;
      this.#dropSocket();
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#dropSocket();
    return Promise.resolve();
  }

  async #pump(
    socket: WebSocket,
    audio: AsyncIterable<Int16Array>,
    signal: AbortSignal,
    onEnd: () => void,
  ): Promise<void> {
    const per = this.#options.framesPerMessage ?? 3;
    let batch: Int16Array[] = [];
    const flush = (): void => {
      if (batch.length === 0 || socket.readyState !== WebSocket.OPEN) return;
      const bytes = Buffer.concat(batch.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));
      socket.send(bytes);
      this.#samplesSent += bytes.length >> 1;
      batch = [];
    };
    for await (const frame of iterateAbortable(audio, signal)) {
      if (socket.readyState !== WebSocket.OPEN) return;
      // A copy: the caller may reuse the frame once the next is asked for.
      batch.push(frame.slice());
      if (batch.length >= per) flush();
    }
    flush();
    onEnd();
    sendJson(socket, { type: 'Terminate' });
    const drain = setTimeout(() => socket.terminate(), this.#options.drainTimeoutMs ?? 3000);
    socket.once('close', () => clearTimeout(drain));
  }

  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return;
    socket.removeAllListeners('message');
    // The session is billed while open: say we are done, then close without waiting.
    if (socket.readyState === WebSocket.OPEN) sendJson(socket, { type: 'Terminate' });
    socket.close(1000);
    setTimeout(() => socket.terminate(), 2000).unref();
  }

  async #open(signal: AbortSignal): Promise<WebSocket> {
    const o = this.#options;
    const url = new URL(o.url ?? ASSEMBLYAI_STREAMING_URL);
    url.searchParams.set('speech_model', o.model ?? ASSEMBLYAI_DEFAULT_MODEL);
    url.searchParams.set('sample_rate', '8000');
    url.searchParams.set('encoding', 'pcm_s16le');
    url.searchParams.set('format_turns', 'false');
    const socket = await openEngineSocket(
      {
        engine: 'assemblyai',
        url: url.toString(),
        headers: o.apiKey === undefined ? {} : { authorization: o.apiKey },
        ...connectOptionsOf(o),
      },
      signal,
    );
    if (this.#closed) {
      socket.terminate();
      throw new EngineError('assemblyai', 'VB_CLOSED', 'closed');
    }
    return socket;
  }
}

/** One final per `turn_order` (the first end-of-turn `Turn`); interims before it. */
class TurnTracker {
  #ended = -1;

  turn(payload: Record<string, unknown>): Transcript | undefined {
    const order = typeof payload['turn_order'] === 'number' ? payload['turn_order'] : this.#ended + 1;
    if (order <= this.#ended) return undefined; // The formatted copy of a turn already given.
    const text = typeof payload['transcript'] === 'string' ? payload['transcript'].trim() : '';
    const words = Array.isArray(payload['words']) ? (payload['words'] as unknown[]) : [];
    const startMs = msOf(words[0], 'start');
    const endMs = Math.max(startMs, msOf(words.at(-1), 'end'));
    if (payload['end_of_turn'] === true) {
      this.#ended = order;
      if (text === '') return undefined;
      return { text, final: true, startMs, endMs, endpoint: 'end-of-turn' };
    }
    return text === '' ? undefined : { text, final: false, startMs, endMs };
  }
}

function msOf(word: unknown, field: 'start' | 'end'): number {
  if (typeof word !== 'object' || word === null) return 0;
  const value = (word as Record<string, unknown>)[field];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}
