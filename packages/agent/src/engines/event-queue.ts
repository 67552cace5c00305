/**
 * Items pushed by socket callbacks, pulled by an adapter's generator: unbounded (a provider sends
 * a few messages per second), ends once closed and drained, or with the error it was failed with.
 */
export class EventQueue<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #error: unknown;

  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    this.#wake?.();
  }

  /** No more items; `next()` drains what is queued first. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** Ends with `error`, thrown once the queued items are drained; the first error wins. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#error = error;
    this.end();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The next item; undefined once ended and drained (or throws the failure). */
  async next(): Promise<T | undefined> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) return item;
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return undefined;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
