import type { LlmEvent, LlmUsage } from './language-model.ts';

/**
 * A model answer requested before the caller's turn is confirmed (a speculative start): its events
 * are read as they stream and kept, none passed on, until `release()` hands them to the turn —
 * those kept first, then the rest as they come — or `discard()` aborts the request. Nothing held
 * can reach the caller or run a tool: only the released iterable carries events anywhere.
 */
export class HeldAnswer {
  /** `performance.now()` and epoch ms when the request started. */
  readonly startedAtMs: number;
  readonly startedAtEpochMs: number;
  /** `performance.now()` of the first text or tool call, once there was one. */
  firstEventAtMs: number | undefined;
  /** What the provider counted, once its `done` came (absent when it does not say, or it never came). */
  usage: LlmUsage | undefined;
  readonly #events: LlmEvent[] = [];
  readonly #controller = new AbortController();
  readonly #callSignal: AbortSignal;
  readonly #onCallAbort = (): void => this.#controller.abort(this.#callSignal.reason);
  #ended = false;
  #error: unknown;
  #released = false;
  #wake: (() => void) | undefined;

  /** Starts `request` now; aborting `callSignal` (the call ended) aborts it too. */
  constructor(request: (signal: AbortSignal) => AsyncIterable<LlmEvent>, callSignal: AbortSignal) {
    this.startedAtMs = performance.now();
    this.startedAtEpochMs = Date.now();
    this.#callSignal = callSignal;
    if (callSignal.aborted) this.#controller.abort(callSignal.reason);
    else callSignal.addEventListener('abort', this.#onCallAbort, { once: true });
    void this.#read(request);
  }

  /**
   * How much sooner the first token was there for a turn confirmed at `confirmedAtMs`
   * (`performance.now()`) than a request started at that moment would have had it, taking as long to
   * its first token as this one did: the head start, or the time to the first token if that was
   * shorter. Undefined before the first token.
   */
  firstTokenEarlierMs(confirmedAtMs: number): number | undefined {
    if (this.firstEventAtMs === undefined) return undefined;
    return Math.max(0, Math.min(this.firstEventAtMs - this.startedAtMs, confirmedAtMs - this.startedAtMs));
  }

  /** The request failed or was aborted: there is nothing usable to release. */
  get failed(): boolean {
    return this.#ended && this.#error !== undefined;
  }

  /** Whether the request was discarded (or its call ended). */
  get discarded(): boolean {
    return this.#controller.signal.aborted;
  }

  /**
   * The answer's events for the turn, once: the kept ones, then the rest as they stream. Aborting
   * `signal` (a barge-in, the call's end) aborts the request and ends the events with its reason.
   */
  async *release(signal: AbortSignal): AsyncGenerator<LlmEvent> {
    if (this.#released) throw new Error('a held answer is released once');
    this.#released = true;
    const onAbort = (): void => this.#controller.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (let next = 0; ;) {
        if (next < this.#events.length) {
          yield this.#events[next++] as LlmEvent;
          continue;
        }
        if (this.#ended) {
          if (this.#error !== undefined) throw this.#error;
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      // A consumer that stopped early (barge-in) must not leave the request streaming.
      if (!this.#ended) this.#controller.abort(signal.reason);
    }
  }

  /** Aborts the request (the turn went another way). Idempotent; a no-op once released. */
  discard(reason: unknown): void {
    if (this.#released) return;
    this.#controller.abort(reason);
  }

  async #read(request: (signal: AbortSignal) => AsyncIterable<LlmEvent>): Promise<void> {
    try {
      for await (const event of request(this.#controller.signal)) {
        if (event.type === 'done') this.usage = event.usage;
        else this.firstEventAtMs ??= performance.now();
        this.#events.push(event);
        this.#wake?.();
      }
      if (this.#controller.signal.aborted) throw this.#controller.signal.reason;
    } catch (error) {
      this.#error = error ?? new Error('the held answer failed');
    } finally {
      this.#ended = true;
      this.#callSignal.removeEventListener('abort', this.#onCallAbort);
      this.#wake?.();
    }
  }
}
