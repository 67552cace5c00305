import { pcmuEncode } from '@voicebridge/rtp';
import WebSocket from 'ws';
import { iterateAbortable } from '../stt/abortable.ts';
import { EngineError } from '../stt/engine-error.ts';
import type { SpeechToText, Transcript, TranscribeOptions } from '../stt/speech-to-text.ts';
import { CommitByVoice } from './commit-by-voice.ts';
import {
  connectOptionsOf,
  openEngineSocket,
  parseFrame,
  sendJson,
  type EngineConnectOptions,
} from './engine-socket.ts';
import { EventQueue } from './event-queue.ts';
import {
  COMMIT_EVENT,
  OPENAI_STT_DEFAULT_MODEL,
  OPENAI_TRANSCRIPTION_URL,
  appendEvent,
  clientCommits,
  parseTranscriptionEvent,
  transcriptionSessionUpdate,
  type TranscriptionEvent,
} from './openai-transcription-wire.ts';
import { OpenAiTurns } from './openai-turns.ts';

export interface OpenAiSttOptions extends EngineConnectOptions {
  /** Default `OPENAI_TRANSCRIPTION_URL`; `intent=transcription` is added when the URL has no `intent`. */
  url?: string;
  /** Sent as `Authorization: Bearer KEY`; absent for a compatible server that takes none. */
  apiKey?: string;
  /** Default `OPENAI_STT_DEFAULT_MODEL`. */
  model?: string;
  language?: string;
  /** 20 ms frames per `input_audio_buffer.append`: each is a JSON message. Default 2 (40 ms). */
  framesPerMessage?: number;
  /** Server VAD silence that ends a turn, or our own for models without VAD. Default 500. */
  silenceDurationMs?: number;
  /** How long `session.updated` may take after `session.update`. Default 5000. */
  sessionTimeoutMs?: number;
  /** After the audio ends: how long the last turn's final may take. Default 3000. */
  drainTimeoutMs?: number;
}

type Event = { kind: 'event'; event: TranscriptionEvent } | { kind: 'audio-end' } | { kind: 'drain-end' };

/** The provider answers a commit of an empty buffer with this error; the session goes on. */
const COMMIT_EMPTY = 'input_audio_buffer_commit_empty';

/**
 * OpenAI realtime transcription (`openai-transcription-wire.ts` cites the reference): one
 * transcription session per call, opened and configured (`session.update` answered by
 * `session.updated`) in `prepare()`, before the answer, so a model or language the provider
 * refuses refuses the call there. The caller's 8 kHz PCM goes up as G.711 μ-law (`audio/pcmu`)
 * in base64 `input_audio_buffer.append`s; `OpenAiTurns` makes deltas into interims and each
 * item's `completed` transcript into its final. Turns end by the provider's server VAD, or, for
 * the models that have none, by our own commit after the caller's voice stops (`CommitByVoice`).
 *
 * An `error` event fails the stream (the call's fallback takes over), except the one for an empty
 * commit; so does a failed transcription of a turn or a socket closed mid-stream.
 */
export class OpenAiStt implements SpeechToText {
  readonly #options: OpenAiSttOptions;
  readonly #model: string;
  #socket: WebSocket | undefined;
  #handler: ((event: TranscriptionEvent) => void) | undefined;
  #closed = false;
  #samplesSent = 0;
  #lastMessageAtMs: number | undefined;

  constructor(options: OpenAiSttOptions) {
    this.#options = options;
    this.#model = options.model ?? OPENAI_STT_DEFAULT_MODEL;
  }

  get audioSeconds(): number {
    return this.#samplesSent / 8000;
  }

  /** `performance.now()` of the provider's last message, of any kind (the stall check reads it). */
  get lastMessageAtMs(): number | undefined {
    return this.#lastMessageAtMs;
  }

  async prepare(signal: AbortSignal): Promise<void> {
    if (this.#socket === undefined) this.#socket = await this.#open(signal, []);
  }

  async *transcribe(audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncIterable<Transcript> {
    const { signal, keywords = [] } = options;
    if (this.#closed) throw new EngineError('openai', 'VB_CLOSED', 'closed');
    // A prepared session the provider closed since is opened again rather than written to.
    if (this.#socket !== undefined && this.#socket.readyState !== WebSocket.OPEN) this.#dropSocket();
    if (this.#socket !== undefined && keywords.length > 0)
      sendJson(this.#socket, transcriptionSessionUpdate(this.#settings(keywords)));
    const socket = this.#socket ?? (await this.#open(signal, keywords));
    this.#socket = socket;
    const events = new EventQueue<Event>();
    this.#handler = (event) => events.push({ kind: 'event', event });
    let ending = false;
    socket.once('close', (code, reason) => {
      if (ending) {
        events.push({ kind: 'drain-end' });
        return;
      }
      const why = reason.length > 0 ? `: ${reason.toString('utf8').slice(0, 120)}` : '';
      events.fail(new EngineError('openai', 'VB_ENGINE_FAILED', `the socket closed mid-stream (${code}${why})`));
    });
    if (signal.aborted) throw signal.reason;
    const pumping = new AbortController();
    const onAbort = (): void => {
      pumping.abort(signal.reason);
      events.fail(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const turns = new OpenAiTurns();
    const pump = this.#pump(socket, audio, turns, pumping.signal)
      .then(() => {
        ending = true;
        events.push({ kind: 'audio-end' });
      })
      .catch((error: unknown) => {
        if (!pumping.signal.aborted) events.fail(error);
      });
    let drainTimer: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        const next = await events.next();
        if (next === undefined) break;
        if (next.kind === 'drain-end') {
          yield* turns.flush();
          break;
        }
        if (next.kind === 'audio-end')
          drainTimer = setTimeout(() => events.push({ kind: 'drain-end' }), this.#options.drainTimeoutMs ?? 3000);
        else yield* this.#transcripts(next.event, turns);
        if (ending && !turns.outstanding) break;
      }
    } finally {
      clearTimeout(drainTimer);
      signal.removeEventListener('abort', onAbort);
      this.#handler = undefined;
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

  /** What one provider event gives; throws the `EngineError` that ends the stream. */
  #transcripts(event: TranscriptionEvent, turns: OpenAiTurns): Transcript[] {
    if (event.type === 'error') {
      if (event.code !== COMMIT_EMPTY)
        throw new EngineError('openai', 'VB_ENGINE_FAILED', `provider error: ${describe(event)}`);
      turns.commitRefused();
      return [];
    }
    if (event.type === 'failed')
      throw new EngineError('openai', 'VB_ENGINE_FAILED', `the transcription of a turn failed: ${event.message}`);
    if (event.type === 'ignored') this.#options.log?.warn({ engine: 'openai', why: event.why }, 'ignored a message');
    return turns.event(event);
  }

  async #pump(
    socket: WebSocket,
    audio: AsyncIterable<Int16Array>,
    turns: OpenAiTurns,
    signal: AbortSignal,
  ): Promise<void> {
    const per = Math.max(1, this.#options.framesPerMessage ?? 2);
    const commits = clientCommits(this.#model)
      ? new CommitByVoice({ silenceMs: this.#options.silenceDurationMs })
      : undefined;
    // μ-law bytes waiting to be sent: encoded straight from the caller's frame (which may be reused).
    let buffer = new Uint8Array(per * 160);
    let used = 0;
    let frames = 0;
    const flush = (): void => {
      if (used === 0 || socket.readyState !== WebSocket.OPEN) return;
      sendJson(socket, appendEvent(buffer.subarray(0, used)));
      this.#samplesSent += used;
      used = 0;
      frames = 0;
    };
    const commit = (atStreamEnd: boolean): void => {
      flush();
      turns.committing(atStreamEnd);
      sendJson(socket, COMMIT_EVENT);
    };
    for await (const frame of iterateAbortable(audio, signal)) {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (used + frame.length > buffer.length) {
        flush();
        if (frame.length > buffer.length) buffer = new Uint8Array(frame.length);
      }
      pcmuEncode(frame, buffer.subarray(used, used + frame.length));
      used += frame.length;
      if (++frames >= per) flush();
      if (commits?.frame(frame) === true) commit(false);
    }
    // The turn the caller was in when the audio ended is committed, so its words are not lost; with
    // nothing left in the buffer the provider refuses the commit. Either answer comes after every
    // event of the audio before it: the point from which only finals are awaited.
    if (socket.readyState === WebSocket.OPEN) commit(true);
    commits?.reset();
  }

  #settings(keywords: readonly string[]): Parameters<typeof transcriptionSessionUpdate>[0] {
    const o = this.#options;
    return { model: this.#model, language: o.language, keywords, silenceDurationMs: o.silenceDurationMs };
  }

  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return;
    socket.close(1000);
    // A provider that never answers the close handshake must not hold the socket.
    setTimeout(() => socket.terminate(), 2000).unref();
  }

  async #open(signal: AbortSignal, keywords: readonly string[]): Promise<WebSocket> {
    const o = this.#options;
    const url = new URL(o.url ?? OPENAI_TRANSCRIPTION_URL);
    if (!url.searchParams.has('intent')) url.searchParams.set('intent', 'transcription');
    let configured: Promise<void> = Promise.resolve();
    const socket = await openEngineSocket(
      {
        engine: 'openai',
        url: url.toString(),
        headers: o.apiKey === undefined ? {} : { Authorization: `Bearer ${o.apiKey}` },
        ...connectOptionsOf(o),
        // Listening from the open itself: a refused key comes as an error event and a close at once.
        onOpen: (opened) => {
          opened.on('message', (data, isBinary) => {
            this.#lastMessageAtMs = performance.now();
            if (!isBinary) this.#handler?.(parseTranscriptionEvent(parseFrame(data)));
          });
          configured = this.#configure(opened, keywords, signal);
          configured.catch(() => {});
        },
      },
      signal,
    );
    try {
      await configured;
      if (this.#closed) throw new EngineError('openai', 'VB_CLOSED', 'closed');
    } catch (error) {
      socket.terminate();
      throw error;
    }
    return socket;
  }

  /**
   * Sends the session's configuration and waits for `session.updated`. A refusal of it (an unknown
   * model, a bad language) is the number's config, not the provider's health: `VB_CONFIG_INVALID`.
   */
  #configure(socket: WebSocket, keywords: readonly string[], signal: AbortSignal): Promise<void> {
    const timeoutMs = this.#options.sessionTimeoutMs ?? 5000;
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.off('close', onClose);
        this.#handler = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => settle(signal.reason);
      const onClose = (code: number): void =>
        settle(new EngineError('openai', 'VB_ENGINE_FAILED', `the socket closed before the session started (${code})`));
      const timer = setTimeout(
        () => settle(new EngineError('openai', 'VB_ENGINE_FAILED', `no session.updated within ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('close', onClose);
      this.#handler = (event) => {
        if (event.type === 'session.updated') settle();
        else if (event.type === 'error') settle(this.#sessionRefused(event));
      };
      sendJson(socket, transcriptionSessionUpdate(this.#settings(keywords)));
    });
  }

  #sessionRefused(event: Extract<TranscriptionEvent, { type: 'error' }>): EngineError {
    if (event.code === 'invalid_api_key')
      return new EngineError('openai', 'VB_CONFIG_INVALID', `the provider refused the key in ${this.#options.keyName}`);
    if (event.errorType === 'invalid_request_error')
      return new EngineError('openai', 'VB_CONFIG_INVALID', `the provider refused the session: ${describe(event)}`);
    return new EngineError('openai', 'VB_ENGINE_FAILED', `provider error: ${describe(event)}`);
  }
}

function describe(event: Extract<TranscriptionEvent, { type: 'error' }>): string {
  return [event.errorType, event.code, event.message].filter((part) => part !== '').join(' ');
}
