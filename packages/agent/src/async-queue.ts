/**
 * A bounded single-consumer queue exposed as an AsyncIterable: the bridge between the channel's
 * push callbacks and the engines' pull-based streams. When full, the oldest item is dropped
 * (old caller audio is worth less than new). Ends when closed.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  readonly #max: number;
  #wake: (() => void) | undefined;
  #closed = false;
  dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  push(item: T): void {
    if (this.#closed) return;
    this.#items.push(item);
    if (this.#items.length > this.#max) {
      this.#items.shift();
      this.dropped++;
    }
    this.#wake?.();
  }

  /** Drops everything buffered so far; returns how many items that was. */
  clear(): number {
    const n = this.#items.length;
    this.#items.length = 0;
    return n;
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
