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
import { AlignedWords, charAlignment } from './aligned-words.ts';
import { EventQueue } from './event-queue.ts';

export const ELEVENLABS_ORIGIN = 'wss://api.elevenlabs.io';
/** ElevenLabs' own low-latency model; a number may name another. */
export const ELEVENLABS_DEFAULT_MODEL = 'eleven_flash_v2_5';
/** A stock voice ("Rachel"), for numbers that name none. */
export const ELEVENLABS_DEFAULT_VOICE = '21m00Tcm4TlvDq8ikWAM';

export interface ElevenLabsTtsOptions extends EngineConnectOptions {
  /** Default `ELEVENLABS_ORIGIN`; the path `/v1/text-to-speech/{voice}/multi-stream-input` is added. */
  url?: string;
  /** Sent as `xi-api-key`. */
  apiKey?: string;
  voice?: string;
  model?: string;
  /** Seconds the provider keeps an idle socket (20 by default, at most 180). Default 180. */
  inactivityTimeoutS?: number;
}

type ContextEvent = { audio: Int16Array; alignment: ReturnType<typeof charAlignment> } | { final: true };

/**
 * ElevenLabs streaming synthesis over the multi-context socket
 * (https://elevenlabs.io/docs/api-reference/websockets/multi-context): one socket per call, one
 * context per reply (`context_id`), its text sent whole with `flush` so generation starts at once
 * (the default `chunk_length_schedule` would wait for ~120 characters). Audio comes back as base64
 * `pcm_8000` (our 8 kHz PCM as it is), until `isFinal`. A finished or interrupted reply's context
 * is closed (`close_context`) at once: the provider allows 5 open contexts per socket and closes
 * the socket (1008, `max_active_conversations`) beyond. A socket the provider closed while idle
 * (`inactivity_timeout`) is reopened by the next reply.
 *
 * With `sync_alignment=true` each audio message carries the `alignment` of its own characters
 * (`chars`, `charStartTimesMs`, `charDurationsMs`; same reference page), timed from the start of
 * that message's audio: each is placed after the samples already returned, so the word timings
 * (`onWords`) follow the audio actually sent even when the provider's durations and the audio's
 * length drift apart. `alignment` is used rather than `normalizedAlignment`, whose characters are
 * the provider's normalised text ("5" read as "five"), not the words of ours.
 */
export class ElevenLabsTts implements TextToSpeech {
  readonly #options: ElevenLabsTtsOptions;
  #socket: WebSocket | undefined;
  #opening: Promise<WebSocket> | undefined;
  readonly #contexts = new Map<string, EventQueue<ContextEvent>>();
  #nextContext = 0;
  #closed = false;
  /** Characters sent for synthesis: what ElevenLabs bills. */
  characters = 0;
  /** Contexts closed before their audio ended (barge-in). */
  cancelled = 0;

  constructor(options: ElevenLabsTtsOptions) {
    this.#options = options;
  }

  /** Opens the socket now (a refused key throws `VB_CONFIG_INVALID` here, before the answer). */
  async prepare(signal: AbortSignal): Promise<void> {
    await this.#ensureOpen(signal);
  }

  async *synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Int16Array> {
    const { signal } = options;
    if (this.#closed) throw new EngineError('elevenlabs', 'VB_CLOSED', 'closed');
    if (text.trim() === '') return;
    const socket = await this.#ensureOpen(signal);
    const contextId = `r${++this.#nextContext}`;
    const events = new EventQueue<ContextEvent>();
    this.#contexts.set(contextId, events);
    const onAbort = (): void => events.fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      // Text chunks end in a space (the provider's rule); flush generates without waiting for more.
      sendJson(socket, { text: `${text} `, context_id: contextId, flush: true });
      this.characters += text.length;
      const words = new AlignedWords();
      let returnedMs = 0;
      for (;;) {
        const event = await events.next();
        if (event === undefined || 'final' in event) break;
        const { alignment } = event;
        if (alignment !== undefined && options.onWords !== undefined) {
          const at = returnedMs;
          const done = words.add(
            alignment.chars,
            alignment.startsMs.map((ms) => ms + at),
            alignment.durationsMs,
          );
          if (done.length > 0) options.onWords(done);
        }
        returnedMs += event.audio.length / 8;
        if (event.audio.length > 0) yield event.audio;
      }
      const last = words.end();
      if (last.length > 0) options.onWords?.(last);
      finished = true;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#contexts.delete(contextId);
      if (!finished) this.cancelled++;
      sendJson(socket, { context_id: contextId, close_context: true });
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = undefined;
    for (const events of this.#contexts.values()) events.fail(new EngineError('elevenlabs', 'VB_CLOSED', 'closed'));
    if (socket !== undefined) {
      sendJson(socket, { close_socket: true });
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
    const url = new URL(
      `/v1/text-to-speech/${encodeURIComponent(o.voice ?? ELEVENLABS_DEFAULT_VOICE)}/multi-stream-input`,
      o.url ?? ELEVENLABS_ORIGIN,
    );
    url.searchParams.set('model_id', o.model ?? ELEVENLABS_DEFAULT_MODEL);
    url.searchParams.set('output_format', 'pcm_8000');
    url.searchParams.set('inactivity_timeout', String(o.inactivityTimeoutS ?? 180));
    url.searchParams.set('sync_alignment', 'true');
    const socket = await openEngineSocket(
      {
        engine: 'elevenlabs',
        url: url.toString(),
        headers: o.apiKey === undefined ? {} : { 'xi-api-key': o.apiKey },
        ...connectOptionsOf(o),
      },
      signal,
    );
    if (this.#closed) {
      socket.terminate();
      throw new EngineError('elevenlabs', 'VB_CLOSED', 'closed');
    }
    socket.on('message', (data, isBinary) => this.#message(isBinary ? undefined : parseFrame(data)));
    socket.once('close', (code, reason) => {
      if (this.#socket === socket) this.#socket = undefined;
      const why = reason.length > 0 ? `: ${reason.toString('utf8').slice(0, 120)}` : '';
      for (const events of this.#contexts.values())
        events.fail(new EngineError('elevenlabs', 'VB_ENGINE_FAILED', `the socket closed mid-reply (${code}${why})`));
    });
    this.#socket = socket;
    return socket;
  }

  #message(frame: Record<string, unknown> | undefined): void {
    if (frame === undefined) {
      this.#options.log?.warn({ engine: 'elevenlabs' }, 'ignored a malformed message');
      return;
    }
    const contextId = frame['contextId'] ?? frame['context_id'];
    const events = typeof contextId === 'string' ? this.#contexts.get(contextId) : undefined;
    if (typeof frame['error'] === 'string' || (frame['message'] !== undefined && frame['audio'] === undefined)) {
      const error = new EngineError(
        'elevenlabs',
        'VB_ENGINE_FAILED',
        `provider error: ${describeProviderError(frame)}`,
      );
      if (events !== undefined) events.fail(error);
      else for (const queue of this.#contexts.values()) queue.fail(error);
      return;
    }
    if (events === undefined) return; // A closed context's late audio.
    const audio = frame['audio'];
    if (typeof audio === 'string' && audio !== '') {
      const bytes = Buffer.from(audio, 'base64');
      const samples = new Int16Array(bytes.length >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
      const alignment = charAlignment(frame['alignment']);
      if (samples.length > 0 || alignment !== undefined) events.push({ audio: samples, alignment });
    }
    if (frame['isFinal'] === true || frame['is_final'] === true) events.push({ final: true });
  }
}
