/**
 * What the caller said and the agent has not answered yet. Everything heard while the agent was
 * busy is answered as one turn: several messages in a row would each get an answer, to a caller
 * who said one thing in several breaths.
 */
export class TurnInbox {
  readonly #texts: string[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #error: unknown;

  push(text: string): void {
    if (this.#ended) return;
    this.#texts.push(text);
    this.#wake?.();
  }

  /** No more input: `next()` returns what is left, then undefined (or throws `error`, when given). */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#wake?.();
  }

  /** Everything heard since the last call, joined; waits for something. Undefined once ended and empty. */
  async next(signal: AbortSignal): Promise<string | undefined> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (this.#texts.length > 0) return this.#texts.splice(0).join(' ');
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return undefined;
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.#wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
