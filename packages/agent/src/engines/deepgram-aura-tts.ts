import WebSocket from 'ws';
import { EngineError } from '../stt/engine-error.ts';
import type { SynthesizeOptions, TextToSpeech } from '../tts/text-to-speech.ts';
import {
  connectOptionsOf,
  describeProviderError,
  openEngineSocket,
  parseFrame,
  sendJson,
  type EngineConnectOptions,
} from './engine-socket.ts';
import { EventQueue } from './event-queue.ts';
import { pcm16FromBytes } from './pcm16.ts';

export const DEEPGRAM_SPEAK_URL = 'wss://api.deepgram.com/v1/speak';
export const DEEPGRAM_AURA_DEFAULT_MODEL = 'aura-2-thalia-en';

export interface DeepgramAuraTtsOptions extends EngineConnectOptions {
  /** Default `DEEPGRAM_SPEAK_URL`; a regional host, a proxy or a compatible server. */
  url?: string;
  /** Sent as `Authorization: Token KEY`. */
  apiKey?: string;
  /** The whole model name (`aura-2-thalia-en`); wins over `voice`. */
  model?: string;
  /** A voice name (`thalia`), made into `aura-2-{voice}-en` when no model is named. */
  voice?: string;
  /** Flushes Deepgram accepts per socket in `flushWindowMs` (20 in 60 s, then a `Warning`). */
  flushLimit?: number;
  flushWindowMs?: number;
  /** Injected clock for the flush window. */
  nowMs?: () => number;
}

type ReplyEvent = { audio: Int16Array } | { flushed: true };

/** One open socket and what it has been asked to do. */
interface AuraSocket {
  socket: WebSocket;
  /** When each of the window's flushes was sent. */
  flushes: number[];
  /** `Clear`s sent whose `Cleared` has not come back: audio and `Flushed` before it are the old reply's. */
  clearing: number;
  reply: EventQueue<ReplyEvent> | undefined;
  oddByte: Buffer | undefined;
}

/**
 * Deepgram Aura streaming synthesis (https://developers.deepgram.com/docs/streaming-text-to-speech,
 * /docs/tts-ws-flush, /docs/tts-ws-clear): `Speak {text}` then `Flush` per clause, 8 kHz linear16
 * back as binary frames until `Flushed`; barge-in sends `Clear`, and what arrives before `Cleared`
 * is dropped. The socket has no contexts, so replies take turns on it.
 *
 * Deepgram takes at most 20 `Flush`es per 60 s on a socket and answers the next with a `Warning`
 * (no audio). A busy call (one flush per clause, three clauses a reply) reaches that in well under
 * a minute, so the socket is rotated: when its window is nearly full the next socket is opened in
 * the background, and a reply that would exceed the limit goes to it; the old one gets `Close`.
 */
export class DeepgramAuraTts implements TextToSpeech {
  readonly #options: DeepgramAuraTtsOptions;
  readonly #now: () => number;
  #current: AuraSocket | undefined;
  #next: Promise<AuraSocket> | undefined;
  #opening: Promise<AuraSocket> | undefined;
  #turn: Promise<void> = Promise.resolve();
  #closed = false;
  characters = 0;
  cancelled = 0;
  /** Sockets opened, for the flush-limit tests and the log. */
  socketsOpened = 0;

  constructor(options: DeepgramAuraTtsOptions) {
    this.#options = options;
    this.#now = options.nowMs ?? (() => performance.now());
  }

  async prepare(signal: AbortSignal): Promise<void> {
    await this.#ensureOpen(signal);
  }

  async *synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Int16Array> {
    const { signal } = options;
    if (this.#closed) throw new EngineError('deepgram', 'VB_CLOSED', 'closed');
    if (text.trim() === '') return;
    // One reply at a time on a socket without contexts.
    const previous = this.#turn;
    let release!: () => void;
    this.#turn = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      const aura = await this.#socketFor(signal);
      const events = new EventQueue<ReplyEvent>();
      aura.reply = events;
      const onAbort = (): void => events.fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let finished = false;
      try {
        sendJson(aura.socket, { type: 'Speak', text });
        sendJson(aura.socket, { type: 'Flush' });
        aura.flushes.push(this.#now());
        this.characters += text.length;
        for (;;) {
          const event = await events.next();
          if (event === undefined || 'flushed' in event) break;
          yield event.audio;
        }
        finished = true;
      } finally {
        signal.removeEventListener('abort', onAbort);
        aura.reply = undefined;
        if (!finished) {
          this.cancelled++;
          if (aura.socket.readyState === WebSocket.OPEN) {
            aura.clearing++;
            sendJson(aura.socket, { type: 'Clear' });
          }
        }
      }
    } finally {
      release();
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    const sockets = [this.#current];
    this.#current = undefined;
    void this.#next?.then(
      (s) => this.#retire(s),
      () => {},
    );
    this.#next = undefined;
    for (const aura of sockets) if (aura !== undefined) this.#retire(aura);
    return Promise.resolve();
  }

  /** The socket this reply goes to: the current one, or the next when the current one's flushes are spent. */
  async #socketFor(signal: AbortSignal): Promise<AuraSocket> {
    const limit = this.#options.flushLimit ?? 20;
    const windowMs = this.#options.flushWindowMs ?? 60_000;
    let aura = await this.#ensureOpen(signal);
    const now = this.#now();
    aura.flushes = aura.flushes.filter((at) => now - at < windowMs);
    if (aura.flushes.length >= limit) {
      const next = this.#next ?? this.#open(signal);
      this.#next = undefined;
      this.#retire(aura);
      aura = await next;
      this.#current = aura;
    }
    if (aura.flushes.length >= limit - 2 && this.#next === undefined) {
      // Opened ahead, so the reply after next pays no handshake; its own failure is the next reply's.
      const lifetime = new AbortController();
      this.#next = this.#open(lifetime.signal);
      this.#next.catch(() => (this.#next = undefined));
    }
    return aura;
  }

  #ensureOpen(signal: AbortSignal): Promise<AuraSocket> {
    const current = this.#current;
    if (current !== undefined && current.socket.readyState === WebSocket.OPEN) return Promise.resolve(current);
    this.#opening ??= this.#open(signal)
      .then((aura) => (this.#current = aura))
      .finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  async #open(signal: AbortSignal): Promise<AuraSocket> {
    const o = this.#options;
    const url = new URL(o.url ?? DEEPGRAM_SPEAK_URL);
    const model = o.model ?? (o.voice === undefined ? DEEPGRAM_AURA_DEFAULT_MODEL : `aura-2-${o.voice}-en`);
    url.searchParams.set('model', model);
    url.searchParams.set('encoding', 'linear16');
    url.searchParams.set('sample_rate', '8000');
    const socket = await openEngineSocket(
      {
        engine: 'deepgram',
        url: url.toString(),
        headers: o.apiKey === undefined ? {} : { authorization: `Token ${o.apiKey}` },
        ...connectOptionsOf(o),
      },
      signal,
    );
    if (this.#closed) {
      socket.terminate();
      throw new EngineError('deepgram', 'VB_CLOSED', 'closed');
    }
    this.socketsOpened++;
    const aura: AuraSocket = { socket, flushes: [], clearing: 0, reply: undefined, oddByte: undefined };
    socket.on('message', (data, isBinary) => this.#message(aura, data, isBinary));
    socket.once('close', (code) => {
      if (this.#current === aura) this.#current = undefined;
      aura.reply?.fail(new EngineError('deepgram', 'VB_ENGINE_FAILED', `the socket closed mid-reply (${code})`));
    });
    return aura;
  }

  #message(aura: AuraSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      if (aura.clearing > 0 || aura.reply === undefined) return;
      const { samples, rest } = pcm16FromBytes(toBuffer(data), aura.oddByte);
      aura.oddByte = rest;
      if (samples.length > 0) aura.reply.push({ audio: samples });
      return;
    }
    const frame = parseFrame(data);
    const type = frame?.['type'];
    if (frame === undefined || typeof type !== 'string') {
      this.#options.log?.warn({ engine: 'deepgram' }, 'ignored a malformed message');
    } else if (type === 'Cleared') {
      aura.clearing = Math.max(0, aura.clearing - 1);
      aura.oddByte = undefined;
    } else if (type === 'Flushed') {
      if (aura.clearing === 0) aura.reply?.push({ flushed: true });
    } else if (type === 'Warning' || type === 'Error') {
      // A Warning here means a request was not served (the flush limit): the reply would wait forever.
      aura.reply?.fail(
        new EngineError(
          'deepgram',
          'VB_ENGINE_FAILED',
          `provider ${type.toLowerCase()}: ${describeProviderError(frame)}`,
        ),
      );
    }
  }

  #retire(aura: AuraSocket): void {
    aura.reply?.fail(new EngineError('deepgram', 'VB_CLOSED', 'closed'));
    if (aura.socket.readyState === WebSocket.OPEN) sendJson(aura.socket, { type: 'Close' });
    aura.socket.close(1000);
    setTimeout(() => aura.socket.terminate(), 2000).unref();
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
