import WebSocket from 'ws';
import { EngineError } from '../stt/engine-error.ts';
import type { SynthesizeOptions, TextToSpeech, WordTiming } from '../tts/text-to-speech.ts';
import {
  connectOptionsOf,
  describeProviderError,
  openEngineSocket,
  parseFrame,
  sendJson,
  type EngineConnectOptions,
} from './engine-socket.ts';
import { wordTimestamps } from './aligned-words.ts';
import { EventQueue } from './event-queue.ts';
import { pcm16FromBytes } from './pcm16.ts';

export const CARTESIA_TTS_URL = 'wss://api.cartesia.ai/tts/websocket';
/** The API version this adapter was written against (sent as `Cartesia-Version`). */
export const CARTESIA_VERSION = '2025-04-16';
export const CARTESIA_DEFAULT_MODEL = 'sonic-2';
/** A stock voice from Cartesia's reference, for numbers that name none. */
export const CARTESIA_DEFAULT_VOICE = 'a0e99841-438c-4a64-b679-ae501e7d6091';

export interface CartesiaTtsOptions extends EngineConnectOptions {
  /** Default `CARTESIA_TTS_URL`. */
  url?: string;
  /** Sent as `Authorization: Bearer KEY`. */
  apiKey?: string;
  model?: string;
  voice?: string;
  language?: string;
}

type ContextEvent = { audio: Int16Array } | { words: WordTiming[] } | { done: true };

interface OpenContext {
  events: EventQueue<ContextEvent>;
  oddByte: Buffer | undefined;
}

/**
 * Cartesia Sonic over its WebSocket (https://docs.cartesia.ai/2026-03-01/api-reference/tts/websocket,
 * /api-reference/tts/working-with-web-sockets/contexts): one socket per call, one `context_id` per
 * reply sent whole with `continue: false` (nothing follows it), 8 kHz `pcm_s16le` back in base64
 * `chunk`s until `done`. Barge-in sends `{context_id, cancel: true}` so the provider stops
 * generating; late chunks of a cancelled context are dropped. Contexts expire on their own a second
 * after their last audio, so none is left open. `add_timestamps: true` makes the provider send
 * `timestamps` messages with `word_timestamps` (`words`, `start`, `end`, seconds from the start of
 * the context's audio; https://docs.cartesia.ai/2024-11-13/api-reference/tts/websocket shows one),
 * passed on to `onWords` so a barge-in knows which words were played.
 */
export class CartesiaTts implements TextToSpeech {
  readonly #options: CartesiaTtsOptions;
  #socket: WebSocket | undefined;
  #opening: Promise<WebSocket> | undefined;
  readonly #contexts = new Map<string, OpenContext>();
  #nextContext = 0;
  #closed = false;
  characters = 0;
  cancelled = 0;

  constructor(options: CartesiaTtsOptions) {
    this.#options = options;
  }

  async prepare(signal: AbortSignal): Promise<void> {
    await this.#ensureOpen(signal);
  }

  async *synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Int16Array> {
    const { signal } = options;
    if (this.#closed) throw new EngineError('cartesia', 'VB_CLOSED', 'closed');
    if (text.trim() === '') return;
    const socket = await this.#ensureOpen(signal);
    const o = this.#options;
    const contextId = `r${++this.#nextContext}`;
    const context: OpenContext = { events: new EventQueue<ContextEvent>(), oddByte: undefined };
    this.#contexts.set(contextId, context);
    const onAbort = (): void => context.events.fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      sendJson(socket, {
        model_id: o.model ?? CARTESIA_DEFAULT_MODEL,
        transcript: text,
        voice: { mode: 'id', id: o.voice ?? CARTESIA_DEFAULT_VOICE },
        language: o.language ?? 'en',
        context_id: contextId,
        output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 8000 },
        add_timestamps: true,
        continue: false,
      });
      this.characters += text.length;
      for (;;) {
        const event = await context.events.next();
        if (event === undefined || 'done' in event) break;
        if ('words' in event) options.onWords?.(event.words);
        else yield event.audio;
      }
      finished = true;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#contexts.delete(contextId);
      if (!finished) {
        this.cancelled++;
        sendJson(socket, { context_id: contextId, cancel: true });
      }
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = undefined;
    for (const context of this.#contexts.values())
      context.events.fail(new EngineError('cartesia', 'VB_CLOSED', 'closed'));
    if (socket !== undefined) {
      socket.close(1000);
      setTimeout(() => socket.terminate(), 2000).unref();
    }
    return Promise.resolve();
  }

  #ensureOpen(signal: AbortSignal): Promise<WebSocket> {
    if (this.#socket !== undefined && this.#socket.readyState === WebSocket.OPEN) return Promise.resolve(this.#socket);
    this.#opening ??= this.#open(signal).finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  async #open(signal: AbortSignal): Promise<WebSocket> {
    const o = this.#options;
    const headers: Record<string, string> = { 'cartesia-version': CARTESIA_VERSION };
    if (o.apiKey !== undefined) headers['authorization'] = `Bearer ${o.apiKey}`;
    const socket = await openEngineSocket(
      {
        engine: 'cartesia',
        url: o.url ?? CARTESIA_TTS_URL,
        headers,
        ...connectOptionsOf(o),
      },
      signal,
    );
    if (this.#closed) {
      socket.terminate();
      throw new EngineError('cartesia', 'VB_CLOSED', 'closed');
    }
    socket.on('message', (data, isBinary) => this.#message(isBinary ? undefined : parseFrame(data)));
    socket.once('close', (code) => {
      if (this.#socket === socket) this.#socket = undefined;
      for (const context of this.#contexts.values())
        context.events.fail(new EngineError('cartesia', 'VB_ENGINE_FAILED', `the socket closed mid-reply (${code})`));
    });
    this.#socket = socket;
    return socket;
  }

  #message(frame: Record<string, unknown> | undefined): void {
    const type = frame?.['type'];
    if (frame === undefined || typeof type !== 'string') {
      this.#options.log?.warn({ engine: 'cartesia' }, 'ignored a malformed message');
      return;
    }
    const contextId = frame['context_id'];
    const context = typeof contextId === 'string' ? this.#contexts.get(contextId) : undefined;
    if (type === 'error') {
      const error = new EngineError('cartesia', 'VB_ENGINE_FAILED', `provider error: ${describeProviderError(frame)}`);
      if (context !== undefined) context.events.fail(error);
      else for (const open of this.#contexts.values()) open.events.fail(error);
      return;
    }
    if (context === undefined) return; // A cancelled context's late chunks.
    if (type === 'chunk' && typeof frame['data'] === 'string') {
      const { samples, rest } = pcm16FromBytes(Buffer.from(frame['data'], 'base64'), context.oddByte);
      context.oddByte = rest;
      if (samples.length > 0) context.events.push({ audio: samples });
    }
    if (type === 'timestamps') {
      const words = wordTimestamps(frame['word_timestamps']);
      if (words === undefined) this.#options.log?.warn({ engine: 'cartesia' }, 'ignored malformed word timestamps');
      else if (words.length > 0) context.events.push({ words });
    }
    if (type === 'done' || (type === 'chunk' && frame['done'] === true)) context.events.push({ done: true });
  }
}
