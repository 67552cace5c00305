import { OutboundHttp, OutboundPolicy, type OutboundUse } from '@voicebridge/outbound';
import { VoicebridgeError } from '@voicebridge/protocol';
import { Resampler } from '@voicebridge/rtp';
import { delay } from '../stt/abortable.ts';
import { EngineError } from '../stt/engine-error.ts';
import type { SynthesizeOptions, TextToSpeech } from '../tts/text-to-speech.ts';
import type { EngineConnectOptions } from './engine-socket.ts';
import { retryableStatus, statusError } from './engine-status.ts';
import {
  inputPieces,
  OPENAI_PCM_RATE_HZ,
  OPENAI_TTS_DEFAULT_MODEL,
  OPENAI_TTS_DEFAULT_VOICE,
  OPENAI_TTS_MAX_INPUT_CHARS,
  readProviderError,
  speechBody,
  speechUrl,
} from './openai-speech-wire.ts';
import { pcm16FromBytes } from './pcm16.ts';

export { OPENAI_TTS_DEFAULT_MODEL, OPENAI_TTS_DEFAULT_VOICE } from './openai-speech-wire.ts';

/** 4096 characters of speech at 24 kHz are a few minutes: 32 MiB bounds a server that never stops. */
const REPLY_MAX_BYTES = 32 * 1024 * 1024;

export interface OpenAiTtsOptions extends EngineConnectOptions {
  /** The worker's client (borrowed); absent, the adapter makes its own under `policy` and closes it. */
  http?: OutboundHttp;
  /** See `speechUrl`; default `https://api.openai.com`. */
  url?: string;
  /** Sent as `Authorization: Bearer KEY`; a compatible server may take none. */
  apiKey?: string;
  model?: string;
  voice?: string;
}

/**
 * OpenAI speech (`openai-speech-wire.ts`): HTTP, not a socket, so one request per clause (the
 * agent's `synthesize` calls), its 24 kHz PCM body resampled to 8 kHz as it streams in (the rtp
 * package's polyphase resampler, its state carried across the body's chunks, flushed at the end;
 * an odd byte count in a chunk carries the odd byte to the next). Barge-in aborts the request: the
 * connection is dropped, so the provider stops generating, and nothing more of the reply is given.
 * The API has no alignment: what the caller heard of a cut reply is estimated from the audio played
 * (`SpokenReply`).
 *
 * `prepare` sends the reply request with an empty `input`: authenticated and validated like a reply,
 * never synthesised nor billed, and it warms the connection the first reply takes. A refused key
 * (401/403) or a refused model or voice refuses the call naming it. (`GET /v1/models/{model}` is not
 * used: a key restricted to speech may lack the Models read permission.) 429, 5xx and failed connects
 * are retried with back-off, at `prepare` and per reply; mid-call the fallback's stall window (1 s)
 * bounds the wait, so a caller never waits through a long back-off in silence.
 */
export class OpenAiTts implements TextToSpeech {
  readonly #options: OpenAiTtsOptions;
  readonly #http: OutboundHttp;
  readonly #ownsHttp: boolean;
  readonly #url: string;
  readonly #model: string;
  readonly #voice: string;
  readonly #use: OutboundUse;
  /** Requests in flight, aborted by `close()`. */
  readonly #requests = new Set<AbortController>();
  #closed = false;
  characters = 0;
  cancelled = 0;

  constructor(options: OpenAiTtsOptions) {
    this.#options = options;
    this.#ownsHttp = options.http === undefined;
    this.#http = options.http ?? new OutboundHttp({ policy: options.policy ?? new OutboundPolicy({ denyCidrs: [] }) });
    this.#url = speechUrl(options.url);
    this.#model = options.model ?? OPENAI_TTS_DEFAULT_MODEL;
    this.#voice = options.voice ?? OPENAI_TTS_DEFAULT_VOICE;
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    this.#use = {
      insecure: options.insecure ?? false,
      maxResponseBytes: REPLY_MAX_BYTES,
      what: 'engines.tts.url',
      headersTimeoutMs: timeoutMs,
      idleTimeoutMs: 2 * timeoutMs,
    };
  }

  async prepare(signal: AbortSignal): Promise<void> {
    const response = await this.#send('', signal);
    if (response.ok) {
      await response.body?.cancel().catch(() => {});
      return;
    }
    // Only a refusal that names the model or the voice says more than "input must not be empty".
    const error = await readProviderError(response, this.#options.apiKey, signal);
    const field = error.code === 'model_not_found' ? 'model' : error.param;
    if (field === 'model' || field === 'voice') {
      const value = field === 'model' ? this.#model : this.#voice;
      throw new EngineError(
        'openai',
        'VB_CONFIG_INVALID',
        `engines.tts.${field} (${JSON.stringify(value.slice(0, 64))}) refused by the provider (${response.status}): ${error.message ?? 'no reason given'}`,
      );
    }
    // Not found, or not a POST: every reply would fail the same way, so the call is refused now.
    if (response.status === 404 || response.status === 405)
      throw new EngineError(
        'openai',
        'VB_CONFIG_INVALID',
        `engines.tts.url: no speech endpoint at ${new URL(this.#url).pathname} (${response.status})`,
      );
    // 400/422 for the empty input: the key, the model and the voice were accepted.
    this.#options.log?.debug({ engine: 'openai', status: response.status }, 'speech endpoint probed');
  }

  async *synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Int16Array> {
    const { signal } = options;
    if (this.#closed) throw new EngineError('openai', 'VB_CLOSED', 'closed');
    if (text.trim() === '') return;
    if (text.length > OPENAI_TTS_MAX_INPUT_CHARS) {
      for (const piece of inputPieces(text)) yield* this.synthesize(piece, options);
      return;
    }
    const request = new AbortController();
    const onAbort = (): void => request.abort(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#requests.add(request);
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let finished = false;
    try {
      const response = await this.#send(text, request.signal);
      if (!response.ok) {
        const error = await readProviderError(response, this.#options.apiKey, request.signal);
        throw statusError('openai', response.status, this.#options.keyName, error.message);
      }
      const type = response.headers.get('content-type') ?? '';
      if (/^(application\/(problem\+)?json|text\/)/i.test(type)) {
        const error = await readProviderError(response, this.#options.apiKey, request.signal);
        throw new EngineError(
          'openai',
          'VB_ENGINE_FAILED',
          `the reply is ${type.split(';', 1)[0]}, not audio: ${error.message ?? 'no message'}`,
        );
      }
      if (response.body === null) throw new EngineError('openai', 'VB_ENGINE_FAILED', 'the reply has no body');
      this.characters += text.length;
      reader = response.body.getReader();
      yield* this.#audio(reader, request.signal);
      finished = true;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#requests.delete(request);
      if (!finished) {
        if (signal.aborted) this.cancelled++;
        // Drops the connection: the provider stops generating what nobody will hear.
        request.abort(new EngineError('openai', 'VB_CLOSED', 'the reply was stopped'));
      }
      reader?.cancel().catch(() => {});
    }
  }

  /** Idempotent: aborts the requests in flight; closes the HTTP client if the adapter made it. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const request of this.#requests) request.abort(new EngineError('openai', 'VB_CLOSED', 'closed'));
    this.#requests.clear();
    if (this.#ownsHttp) this.#http.close();
    return Promise.resolve();
  }

  /** The body's 24 kHz PCM as 8 kHz chunks, as it arrives. */
  async *#audio(reader: ReadableStreamDefaultReader<Uint8Array>, signal: AbortSignal): AsyncGenerator<Int16Array> {
    const resampler = new Resampler({ inputRateHz: OPENAI_PCM_RATE_HZ, outputRateHz: 8000 });
    let carry: Buffer | undefined;
    let gotAudio = false;
    for (;;) {
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        const why = error instanceof Error ? error.message : String(error);
        throw new EngineError('openai', 'VB_ENGINE_FAILED', `the reply broke off: ${why}`, { cause: error });
      }
      if (read.done) break;
      const { samples, rest } = pcm16FromBytes(
        Buffer.from(read.value.buffer, read.value.byteOffset, read.value.byteLength),
        carry,
      );
      carry = rest;
      if (samples.length === 0) continue;
      const out = new Int16Array(resampler.maxOutputFor(samples.length));
      const written = resampler.process(samples, out);
      gotAudio = true;
      if (written > 0) yield out.subarray(0, written);
    }
    // A 200 without a sample would be a silent reply: the fallback says it instead.
    if (!gotAudio) throw new EngineError('openai', 'VB_ENGINE_FAILED', 'the reply had no audio');
    const tail = new Int16Array(resampler.maxFlushOutput);
    const written = resampler.flush(tail);
    if (written > 0) yield tail.subarray(0, written);
  }

  /**
   * Posts one request, retrying 429, 5xx and failed connects (doubling back-off from `backoffMs`,
   * or the provider's `Retry-After`, capped at 2 s). Returns any other reply, ok or not; throws the
   * last failure once the retries are spent, or the signal's reason.
   */
  async #send(input: string, signal: AbortSignal): Promise<Response> {
    const { apiKey, retries = 2, backoffMs = 250, keyName, log } = this.#options;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey !== undefined) headers['authorization'] = `Bearer ${apiKey}`;
    const body = speechBody(this.#model, this.#voice, input);
    for (let attempt = 0; ; attempt++) {
      let failure: EngineError;
      let retryAfterMs: number | undefined;
      try {
        const response = await this.#http.request(this.#url, { method: 'POST', headers, body, signal }, this.#use);
        if (!retryableStatus(response.status) && response.status !== 401 && response.status !== 403) return response;
        retryAfterMs = retryAfterOf(response.headers.get('retry-after'));
        const error = await readProviderError(response, apiKey, signal);
        failure = statusError('openai', response.status, keyName, error.message);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        failure = requestFailure(error);
      }
      if (!failure.retryable || attempt >= retries) throw failure;
      const waitMs = Math.min(2000, retryAfterMs ?? backoffMs * 2 ** attempt);
      log?.warn({ engine: 'openai', attempt: attempt + 1, waitMs, err: failure.message }, 'engine request retried');
      await delay(waitMs, signal);
    }
  }
}

/** A request that got no reply: refused by the URL policy (config), or not connected (worth a retry). */
function requestFailure(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  if (error instanceof VoicebridgeError && error.code === 'VB_CLOSED')
    return new EngineError('openai', 'VB_CLOSED', 'the worker is closing');
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'OutboundRefusedError')
    return new EngineError('openai', 'VB_CONFIG_INVALID', message);
  return new EngineError('openai', 'VB_ENGINE_FAILED', `cannot reach the provider: ${message}`, { cause: error });
}

/** `Retry-After` in seconds (the form rate limiters send), in ms; undefined when absent or not a number. */
function retryAfterOf(value: string | null): number | undefined {
  const seconds = value === null || value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
