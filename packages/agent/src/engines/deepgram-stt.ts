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

export const DEEPGRAM_LISTEN_URL = 'wss://api.deepgram.com/v1/listen';

export interface DeepgramSttOptions extends EngineConnectOptions {
  /** Default `DEEPGRAM_LISTEN_URL`; a regional host, a proxy or a compatible server. */
  url?: string;
  /** Sent as `Authorization: Token KEY`; absent for a compatible server that takes none. */
  apiKey?: string;
  model?: string;
  language?: string;
  /** Silence (ms) after speech before Deepgram marks `speech_final`. Default 300. */
  endpointingMs?: number;
  /** A gap in words (ms) that gives `UtteranceEnd` when endpointing missed it (noise). Default 1000. */
  utteranceEndMs?: number;
  /** KeepAlive when no audio was sent for this long: Deepgram closes after 10 s (NET-0001). Default 4000. */
  keepAliveMs?: number;
  /** After the audio ends: how long to wait for the last results after `CloseStream`. Default 3000. */
  drainTimeoutMs?: number;
}

type Event = { kind: 'results'; payload: Record<string, unknown> } | { kind: 'utterance-end' };

/**
 * Deepgram live transcription (https://developers.deepgram.com/reference/speech-to-text/listen-streaming):
 * the call's audio as binary frames of 8 kHz 16-bit PCM (`encoding=linear16`: our frames as they
 * are, no resampling and no second G.711 pass), results back as JSON.
 *
 * Deepgram finalises a stretch of audio (`is_final`) well before the caller is done; a turn ends at
 * `speech_final` (its endpointing silence) or at `UtteranceEnd` (a gap in words, for noisy lines
 * where endpointing never fires). So finals are gathered and given as one final `Transcript` at
 * either signal (`endpoint` says which); everything before is an interim: the finals so far plus
 * the current hypothesis. When the audio ends: `Finalize`, `CloseStream`, and whatever is left.
 *
 * One socket per call, opened by `prepare()` before the answer (no handshake on the first turn)
 * and kept alive with `KeepAlive` whenever no audio flowed for `keepAliveMs` (a held call).
 */
export class DeepgramStt implements SpeechToText {
  readonly #options: DeepgramSttOptions;
  #socket: WebSocket | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #lastSentMs = 0;
  #closed = false;
  /** Audio sent, in samples (8 kHz): what Deepgram bills. */
  #samplesSent = 0;
  #lastMessageAtMs: number | undefined;

  constructor(options: DeepgramSttOptions) {
    this.#options = options;
  }

  /** Audio seconds sent so far. */
  get audioSeconds(): number {
    return this.#samplesSent / 8000;
  }

  /** `performance.now()` of the provider's last message, of any kind (the stall check reads it). */
  get lastMessageAtMs(): number | undefined {
    return this.#lastMessageAtMs;
  }

  /** Opens the socket now (a refused key throws `VB_CONFIG_INVALID` here, before the answer). */
  async prepare(signal: AbortSignal): Promise<void> {
    if (this.#socket === undefined) this.#socket = await this.#open(signal);
  }

  async *transcribe(audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncIterable<Transcript> {
    const { signal } = options;
    if (this.#closed) throw new EngineError('deepgram', 'VB_CLOSED', 'closed');
    const socket = this.#socket ?? (await this.#open(signal, options.keywords));
    this.#socket = socket;
    const events = new EventQueue<Event>();
    let ending = false;
    socket.on('message', (data, isBinary) => {
      this.#lastMessageAtMs = performance.now();
      if (isBinary) return;
      const frame = parseFrame(data);
      const type = frame?.['type'];
      if (frame === undefined || typeof type !== 'string') {
        this.#options.log?.warn({ engine: 'deepgram' }, 'ignored a malformed message');
      } else if (type === 'Results') events.push({ kind: 'results', payload: frame });
      else if (type === 'UtteranceEnd') events.push({ kind: 'utterance-end' });
      // https://developers.deepgram.com/docs/speech-started: {type, channel, timestamp}, no words.
      else if (type === 'SpeechStarted') options.onSpeechStart?.();
      else if (type === 'Error')
        events.fail(new EngineError('deepgram', 'VB_ENGINE_FAILED', `provider error: ${describeProviderError(frame)}`));
    });
    socket.once('close', (code) => {
      if (ending) events.end();
      else events.fail(new EngineError('deepgram', 'VB_ENGINE_FAILED', `the socket closed mid-stream (${code})`));
    });
    const pumping = new AbortController();
    if (signal.aborted) throw signal.reason;
    const onAbort = (): void => {
      pumping.abort(signal.reason);
      events.fail(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const pump = (async () => {
      for await (const frame of iterateAbortable(audio, pumping.signal)) {
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
        this.#samplesSent += frame.length;
        this.#lastSentMs = performance.now();
      }
      ending = true;
      sendJson(socket, { type: 'Finalize' });
      sendJson(socket, { type: 'CloseStream' });
      const drain = setTimeout(() => socket.terminate(), this.#options.drainTimeoutMs ?? 3000);
      socket.once('close', () => clearTimeout(drain));
    })().catch((error: unknown) => {
      if (!pumping.signal.aborted) events.fail(error);
    });
    const turn = new TurnAssembler();
    try {
      for (;;) {
        const event = await events.next();
        if (event === undefined) break;
        const transcript = event.kind === 'results' ? turn.results(event.payload) : turn.utteranceEnd();
        if (transcript !== undefined) yield transcript;
      }
      const rest = turn.streamEnd();
      if (rest !== undefined) yield rest;
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

  #dropSocket(): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return;
    socket.removeAllListeners('message');
    if (socket.readyState === WebSocket.OPEN) sendJson(socket, { type: 'CloseStream' });
    socket.close(1000);
    // A provider that never answers the close handshake must not hold the socket.
    setTimeout(() => socket.terminate(), 2000).unref();
  }

  async #open(signal: AbortSignal, keywords?: string[]): Promise<WebSocket> {
    const o = this.#options;
    const url = new URL(o.url ?? DEEPGRAM_LISTEN_URL);
    const query: Record<string, string> = {
      model: o.model ?? 'nova-3',
      encoding: 'linear16',
      sample_rate: '8000',
      channels: '1',
      interim_results: 'true',
      endpointing: String(o.endpointingMs ?? 300),
      utterance_end_ms: String(o.utteranceEndMs ?? 1000),
      vad_events: 'true',
      smart_format: 'true',
      language: o.language ?? 'en',
    };
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    for (const keyword of keywords ?? []) url.searchParams.append('keyterm', keyword);
    const socket = await openEngineSocket(
      {
        engine: 'deepgram',
        url: url.toString(),
        headers: o.apiKey === undefined ? {} : { Authorization: `Token ${o.apiKey}` },
        ...connectOptionsOf(o),
      },
      signal,
    );
    this.#lastSentMs = performance.now();
    const keepAliveMs = o.keepAliveMs ?? 4000;
    this.#keepAlive = setInterval(
      () => {
        if (performance.now() - this.#lastSentMs < keepAliveMs) return;
        sendJson(socket, { type: 'KeepAlive' });
        this.#lastSentMs = performance.now();
      },
      Math.max(50, keepAliveMs / 4),
    );
    this.#keepAlive.unref();
    return socket;
  }
}

/** Gathers Deepgram's finals into turns (see `DeepgramStt`). */
class TurnAssembler {
  #finals: string[] = [];
  #startMs: number | undefined;
  #endMs = 0;

  results(payload: Record<string, unknown>): Transcript | undefined {
    const channel = payload['channel'];
    const alternatives = isRecord(channel) ? channel['alternatives'] : undefined;
    const first: unknown = Array.isArray(alternatives) ? alternatives[0] : undefined;
    const text = isRecord(first) && typeof first['transcript'] === 'string' ? first['transcript'].trim() : '';
    const startMs = seconds(payload['start']) * 1000;
    const endMs = startMs + seconds(payload['duration']) * 1000;
    if (text !== '') {
      this.#startMs ??= startMs;
      this.#endMs = Math.max(this.#endMs, endMs);
    }
    if (payload['is_final'] === true) {
      if (text !== '') this.#finals.push(text);
      if (payload['speech_final'] === true) return this.#emit('speech-final');
      return this.#finals.length === 0 ? undefined : this.#interim('');
    }
    return text === '' ? undefined : this.#interim(text);
  }

  utteranceEnd(): Transcript | undefined {
    return this.#emit('utterance-end');
  }

  streamEnd(): Transcript | undefined {
    return this.#emit('stream-end');
  }

  #interim(current: string): Transcript {
    const text = [...this.#finals, current].filter((t) => t !== '').join(' ');
    return { text, final: false, startMs: this.#startMs ?? 0, endMs: this.#endMs };
  }

  #emit(endpoint: NonNullable<Transcript['endpoint']>): Transcript | undefined {
    if (this.#finals.length === 0) return undefined;
    const transcript: Transcript = {
      text: this.#finals.join(' '),
      final: true,
      startMs: this.#startMs ?? 0,
      endMs: this.#endMs,
      endpoint,
    };
    this.#finals = [];
    this.#startMs = undefined;
    return transcript;
  }
}

function seconds(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
