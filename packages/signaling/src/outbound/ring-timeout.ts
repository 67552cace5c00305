/**
 * The ring time of a call we place: when the callee started ringing (the first 180/183, from which
 * ring time counts) and the timeout that gives up on an answer. Owns its timer; close() clears it.
 */
export class RingTimeout {
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #ringingAtMs: number | undefined;

  /** True once the timeout fired: our CANCEL then means no answer. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  get ringingAtMs(): number | undefined {
    return this.#ringingAtMs;
  }

  start(timeoutMs: number, onTimeout: () => void): void {
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      onTimeout();
    }, timeoutMs);
  }

  /** The callee started ringing (the call's first 180/183). */
  ringing(): void {
    this.#ringingAtMs = Date.now();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
