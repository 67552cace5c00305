import { VoicebridgeError, type Logger } from '@voicebridge/protocol';
import { abortable } from '../stt/abortable.ts';
import { ChunkAssembler, MalformedChunk, isRecord, requestBody } from './chat-completion-wire.ts';
import type { LanguageModel, LlmEvent, LlmRequest } from './language-model.ts';
import { LlmError } from './llm-error.ts';
import { errorFromResponse, scrub, streamedError } from './provider-errors.ts';
import { SseParser } from './sse-parser.ts';

export interface OpenAiCompatibleOptions {
  /** Up to and including the version path: `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer …`; local servers usually need none. Never logged, never in errors. */
  apiKey?: string;
  /**
   * The longest the provider may stay silent: until the response headers, then between any two
   * pieces of the stream. A long answer that keeps streaming is never cut by it.
   */
  timeoutMs: number;
  /** The longest from sending the request to the first text or tool call. Default: `timeoutMs`. */
  firstTokenTimeoutMs?: number;
  /** Ask for token counts in the last chunk (`stream_options.include_usage`). Default false: not every server accepts it. */
  includeUsage?: boolean;
  /** For tests and proxies; the global `fetch` by default. */
  fetch?: typeof fetch;
  log?: Logger;
}

/**
 * A client for any OpenAI-compatible streaming chat-completions endpoint: OpenAI, Groq, Together,
 * Ollama, vLLM, llama.cpp's server. One HTTP request per `stream()`, no retries of its own: the
 * caller decides from `retryable` (and `retryAfterMs`) whether a second attempt fits the turn.
 *
 * Failures: `LlmError` per `errorFromResponse` for HTTP errors; `VB_ENGINE_FAILED` for a refused
 * connection, a connection dropped mid-stream (after the text already yielded) or a malformed
 * stream; `VB_REQUEST_TIMEOUT` per `timeoutMs` and `firstTokenTimeoutMs`; the signal's reason when it aborts.
 */
export class OpenAiCompatibleModel implements LanguageModel {
  readonly provider: string;
  readonly model: string;
  readonly #url: string;
  readonly #options: OpenAiCompatibleOptions;
  readonly #fetch: typeof fetch;

  constructor(options: OpenAiCompatibleOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      // No cause: the TypeError quotes the input, which may hold credentials.
      throw new LlmError('llm', 'VB_CONFIG_INVALID', 'baseUrl is not a URL');
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new LlmError('llm', 'VB_CONFIG_INVALID', 'baseUrl must be http or https');
    if (base.username !== '' || base.password !== '')
      throw new LlmError(base.host, 'VB_CONFIG_INVALID', 'baseUrl must not carry credentials; use apiKey');
    if (!(options.timeoutMs > 0)) throw new LlmError(base.host, 'VB_CONFIG_INVALID', 'timeoutMs must be positive');
    if (options.firstTokenTimeoutMs !== undefined && !(options.firstTokenTimeoutMs > 0)) {
      throw new LlmError(base.host, 'VB_CONFIG_INVALID', 'firstTokenTimeoutMs must be positive');
    }
    this.provider = base.host;
    this.model = options.model;
    // A query (some gateways want `?api-version=…`) stays after the path.
    this.#url = `${base.origin}${base.pathname.replace(/\/+$/, '')}/chat/completions${base.search}`;
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async *stream(request: LlmRequest): AsyncGenerator<LlmEvent> {
    const { signal } = request;
    if (signal.aborted) throw signal.reason;
    const { apiKey, timeoutMs, firstTokenTimeoutMs = timeoutMs, includeUsage = false, log } = this.#options;
    const attempt = new Attempt(this.provider, signal, timeoutMs, firstTokenTimeoutMs);
    const startedMs = performance.now();
    let firstTokenMs: number | undefined;
    log?.debug(
      {
        provider: this.provider,
        model: this.model,
        messages: request.messages.length,
        tools: request.tools?.length ?? 0,
      },
      'llm request',
    );
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
      if (apiKey !== undefined && apiKey !== '') headers['authorization'] = `Bearer ${apiKey}`;
      const body = JSON.stringify(requestBody(this.model, request, includeUsage));
      let response: Response;
      try {
        response = await attempt.wait(
          this.#fetch(this.#url, { method: 'POST', headers, body, signal: attempt.signal }),
        );
      } catch (error) {
        throw attempt.failure(error, () =>
          // The outbound URL policy refused the address: a config problem, not worth a retry.
          error instanceof VoicebridgeError && error.code === 'VB_CONFIG_INVALID'
            ? new LlmError(this.provider, 'VB_CONFIG_INVALID', error.message)
            : new LlmError(this.provider, 'VB_ENGINE_FAILED', 'could not reach the provider', {
                cause: stripped(error, apiKey),
              }),
        );
      }
      if (!response.ok) {
        let error: unknown;
        try {
          error = await attempt.wait(errorFromResponse(this.provider, response, apiKey, attempt.signal));
        } catch (caught) {
          error = caught;
        }
        throw attempt.failure(
          error,
          () =>
            new LlmError(this.provider, 'VB_ENGINE_FAILED', `provider error (${response.status})`, {
              status: response.status,
            }),
        );
      }
      if (response.body === null) throw new LlmError(this.provider, 'VB_ENGINE_FAILED', 'the response has no body');
      const answer = new ChunkAssembler();
      const noteProgress = (): void => {
        if (firstTokenMs !== undefined || !answer.started) return;
        firstTokenMs = performance.now() - startedMs;
        attempt.firstToken();
      };
      if (/^application\/json\b/i.test(response.headers.get('content-type') ?? '')) {
        // A server that ignored `stream: true` sent the whole completion at once: same events, one go.
        let text: string;
        try {
          text = await attempt.wait(response.text());
        } catch (error) {
          throw attempt.failure(
            error,
            () =>
              new LlmError(this.provider, 'VB_ENGINE_FAILED', 'the connection dropped mid-answer', {
                cause: stripped(error, apiKey),
              }),
          );
        }
        const events = this.#accept(answer, wholeAsChunk(text), apiKey);
        noteProgress();
        yield* events;
      } else {
        reader = response.body.getReader();
        yield* this.#readStream(reader, answer, attempt, noteProgress);
      }
      const closing = this.#finish(answer);
      const done = closing[closing.length - 1];
      log?.debug(
        {
          provider: this.provider,
          model: this.model,
          finishReason: done?.type === 'done' ? done.finishReason : undefined,
          firstTokenMs: firstTokenMs === undefined ? undefined : Math.round(firstTokenMs),
          durationMs: Math.round(performance.now() - startedMs),
        },
        'llm answer',
      );
      yield* closing;
    } finally {
      attempt.close();
      reader?.cancel().catch(() => {});
    }
  }

  async *#readStream(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    answer: ChunkAssembler,
    attempt: Attempt,
    noteProgress: () => void,
  ): AsyncGenerator<LlmEvent> {
    const apiKey = this.#options.apiKey;
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let sawDone = false;
    while (!sawDone) {
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await attempt.wait(reader.read());
      } catch (error) {
        throw attempt.failure(
          error,
          () =>
            new LlmError(this.provider, 'VB_ENGINE_FAILED', 'the connection dropped mid-stream', {
              cause: stripped(error, apiKey),
            }),
        );
      }
      const text = read.done ? decoder.decode() : decoder.decode(read.value, { stream: true });
      for (const event of parser.push(text)) {
        if (event.data.trim() === '[DONE]') {
          sawDone = true;
          break;
        }
        const events = this.#accept(answer, event.data, apiKey);
        noteProgress();
        yield* events;
      }
      if (read.done && !sawDone) {
        if (!answer.finished)
          throw new LlmError(this.provider, 'VB_ENGINE_FAILED', 'the stream ended before the answer was complete');
        break;
      }
    }
  }

  #accept(answer: ChunkAssembler, data: string | Record<string, unknown>, apiKey: string | undefined): LlmEvent[] {
    let payload: unknown = data;
    try {
      if (typeof data === 'string') payload = JSON.parse(data);
    } catch {
      // No cause: V8's SyntaxError quotes the text, which may be the answer (what the caller will hear).
      throw new LlmError(this.provider, 'VB_ENGINE_FAILED', 'the stream carried a chunk that is not JSON');
    }
    if (isRecord(payload) && payload['error'] !== undefined && payload['error'] !== null)
      throw streamedError(this.provider, payload, apiKey);
    try {
      return answer.accept(payload);
    } catch (error) {
      if (error instanceof MalformedChunk)
        throw new LlmError(this.provider, 'VB_ENGINE_FAILED', `malformed stream: ${error.message}`);
      throw error;
    }
  }

  #finish(answer: ChunkAssembler): LlmEvent[] {
    try {
      return answer.finish();
    } catch (error) {
      if (error instanceof MalformedChunk)
        throw new LlmError(this.provider, 'VB_ENGINE_FAILED', `malformed stream: ${error.message}`);
      throw error;
    }
  }
}

/**
 * One request's cancellation: the caller's signal, the silence timeout and the first-token timeout,
 * merged into the signal given to `fetch`. The silence timer runs only while waiting on the provider
 * (`wait`), never while the consumer holds a yielded event, so a slow consumer is not a slow provider.
 * Whichever fired first decides the error: the caller's reason wins over a timeout, a timeout over a
 * network error.
 */
class Attempt {
  readonly #controller = new AbortController();
  readonly #provider: string;
  readonly #caller: AbortSignal;
  readonly #silenceMs: number;
  #silenceTimer: NodeJS.Timeout | undefined;
  #firstTokenTimer: NodeJS.Timeout | undefined;
  #timeout: LlmError | undefined;
  readonly #onAbort = (): void => this.#controller.abort(this.#caller.reason);

  constructor(provider: string, caller: AbortSignal, silenceMs: number, firstTokenMs: number) {
    this.#provider = provider;
    this.#caller = caller;
    this.#silenceMs = silenceMs;
    caller.addEventListener('abort', this.#onAbort, { once: true });
    this.#firstTokenTimer = setTimeout(() => this.#expire(`no first token within ${firstTokenMs} ms`), firstTokenMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Awaits the provider, for at most the silence timeout. */
  async wait<T>(promise: Promise<T>): Promise<T> {
    this.#silenceTimer = setTimeout(
      () => this.#expire(`the provider was silent for ${this.#silenceMs} ms`),
      this.#silenceMs,
    );
    try {
      return await abortable(promise, this.#controller.signal);
    } finally {
      clearTimeout(this.#silenceTimer);
      this.#silenceTimer = undefined;
    }
  }

  firstToken(): void {
    clearTimeout(this.#firstTokenTimer);
    this.#firstTokenTimer = undefined;
  }

  /** The error to throw for a failure: the caller's reason, the timeout, or the mapped error. */
  failure(error: unknown, map: () => unknown): unknown {
    if (this.#caller.aborted) return this.#caller.reason;
    if (this.#timeout !== undefined) return this.#timeout;
    if (error instanceof LlmError) return error;
    return map();
  }

  close(): void {
    clearTimeout(this.#silenceTimer);
    clearTimeout(this.#firstTokenTimer);
    this.#silenceTimer = undefined;
    this.#firstTokenTimer = undefined;
    this.#caller.removeEventListener('abort', this.#onAbort);
    // Leaving early (the consumer stopped, or an error) must also close the connection.
    if (!this.#controller.signal.aborted)
      this.#controller.abort(new LlmError(this.#provider, 'VB_ENGINE_FAILED', 'request abandoned'));
  }

  #expire(message: string): void {
    if (this.#controller.signal.aborted) return;
    this.#timeout = new LlmError(this.#provider, 'VB_REQUEST_TIMEOUT', message);
    this.#controller.abort(this.#timeout);
  }
}

/**
 * A whole `chat.completion` (`choices[].message`) as one `chat.completion.chunk` (`choices[].delta`),
 * so the same assembler reads it; text that is not JSON is passed on for `#accept` to refuse.
 */
function wholeAsChunk(text: string): string | Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return text;
  }
  if (!isRecord(payload) || !Array.isArray(payload['choices'])) return text;
  const choices = payload['choices'].map((choice: unknown) =>
    isRecord(choice) ? { ...choice, delta: choice['message'] } : choice,
  );
  return { ...payload, choices };
}

/** A network error as a plain cause: its message scrubbed, so a key echoed by a proxy cannot leak. */
function stripped(error: unknown, apiKey: string | undefined): Error {
  const message =
    error instanceof Error
      ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
      : String(error);
  return new Error(scrub(message, apiKey));
}
