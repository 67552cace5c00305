/** RFC 3711 §3.3.2: "a replay list ... SHOULD be at least 64"; libsrtp and most carriers use 128. */
export const REPLAY_WINDOW_SIZE = 128;

/**
 * The replay list of one SRTP or SRTCP stream: packet indices up to `REPLAY_WINDOW_SIZE` behind the
 * highest one seen are remembered; older ones and repeats are refused (RFC 3711 §3.3.2). Each slot
 * holds the last index that mapped to it, so "seen" is one comparison and no bitmap shifting.
 */
export class ReplayWindow {
  readonly #slots = new Float64Array(REPLAY_WINDOW_SIZE).fill(-1);
  #highest = -1;

  /** Whether `index` may still be accepted; does not record it (authentication comes first). */
  check(index: number): boolean {
    if (index > this.#highest) return true;
    if (this.#highest - index >= REPLAY_WINDOW_SIZE) return false;
    return this.#slots[index % REPLAY_WINDOW_SIZE] !== index;
  }

  /** Records an authenticated index. */
  accept(index: number): void {
    this.#slots[index % REPLAY_WINDOW_SIZE] = index;
    if (index > this.#highest) this.#highest = index;
  }
}
