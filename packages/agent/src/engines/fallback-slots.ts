/**
 * The worker's budget of calls running on an offline fallback after their cloud engine failed.
 * When a provider goes down every call fails over at once, and the offline recogniser is a process
 * per call (the pocketsphinx pool, STT_POOL_SIZE): past this many, a call gets a fixed apology and
 * ends (`engine-outage`) instead of starving every other call of CPU.
 */
export class FallbackSlots {
  readonly #max: number;
  #used = 0;
  /** Calls refused a slot so far. */
  refused = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get used(): number {
    return this.#used;
  }

  /** A slot and its idempotent release, or undefined when all are taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.#used >= this.#max) {
      this.refused++;
      return undefined;
    }
    this.#used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used--;
    };
  }
}
