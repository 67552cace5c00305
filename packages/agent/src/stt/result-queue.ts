import { abortable } from './abortable.ts';

/**
 * Results pushed by a producer (a decoder's output) and pulled by one consumer at its own pace;
 * unbounded, since a stream's results are few and small. Ends with `end()` or throws after `fail()`.
 */
export class ResultQueue<T> {
  readonly #items: T[] = [];
  #finished: { error?: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(item: T): void {
    if (this.#finished) return;
    this.#items.push(item);
    this.#wakeUp();
  }

  end(): void {
    this.#finished ??= {};
    this.#wakeUp();
  }

  /** The first failure wins; results already queued are still delivered before it. */
  fail(error: unknown): void {
    this.#finished ??= { error };
    this.#wakeUp();
  }

  async next(signal: AbortSignal): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.#items.length > 0) return { done: false, value: this.#items.shift()! };
      if (this.#finished) {
        if ('error' in this.#finished) throw this.#finished.error;
        return { done: true, value: undefined };
      }
      await abortable(new Promise<void>((resolve) => (this.#wake = resolve)), signal);
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
