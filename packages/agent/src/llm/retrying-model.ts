import { VoicebridgeError, type Logger } from '@voicebridge/protocol';
import { delay } from '../stt/abortable.ts';
import type { LanguageModel, LlmEvent, LlmRequest } from './language-model.ts';
import { LlmError } from './llm-error.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. Default 2: a caller on the line cannot wait for more. */
  attempts?: number;
  /** The wait before attempt n is `backoffMs * (n - 1)`, unless the provider said (`Retry-After`). Default 250. */
  backoffMs?: number;
  /** A provider asking for a longer wait than this is not waited for: the error is thrown. Default 2000. */
  maxWaitMs?: number;
  log?: Logger;
  /** For tests; an abortable `setTimeout` by default. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Retries a model's `retryable` failures, but only while nothing has been yielded: once text may
 * have been spoken, asking again would say it twice, so the error goes to the agent. A `Retry-After`
 * longer than `maxWaitMs` and a non-retryable error are thrown at once; once the signal has aborted,
 * its reason is thrown, whatever failed.
 */
export class RetryingModel implements LanguageModel {
  readonly #inner: LanguageModel;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #maxWaitMs: number;
  readonly #log: Logger | undefined;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(inner: LanguageModel, options: RetryOptions = {}) {
    this.#inner = inner;
    this.#attempts = Math.max(1, options.attempts ?? 2);
    this.#backoffMs = options.backoffMs ?? 250;
    this.#maxWaitMs = options.maxWaitMs ?? 2000;
    this.#log = options.log;
    this.#sleep = options.sleep ?? delay;
  }

  async *stream(request: LlmRequest): AsyncGenerator<LlmEvent> {
    for (let attempt = 1; ; attempt++) {
      let yielded = false;
      try {
        for await (const event of this.#inner.stream(request)) {
          yielded = true;
          yield event;
        }
        return;
      } catch (error) {
        if (request.signal.aborted) throw request.signal.reason;
        const waitMs = this.#retryWait(error, attempt, yielded);
        if (waitMs === undefined) throw error;
        const { code, status } = error as LlmError;
        this.#log?.warn({ code, status, attempt, waitMs }, 'language model failed, retrying');
        await this.#sleep(waitMs, request.signal);
      }
    }
  }

  /** How long to wait before the next attempt, or undefined when the error must be thrown. */
  #retryWait(error: unknown, attempt: number, yielded: boolean): number | undefined {
    if (yielded || attempt >= this.#attempts) return undefined;
    if (!(error instanceof VoicebridgeError) || !error.retryable) return undefined;
    const asked = error instanceof LlmError ? error.retryAfterMs : undefined;
    const waitMs = asked ?? this.#backoffMs * attempt;
    return waitMs > this.#maxWaitMs ? undefined : waitMs;
  }
}
