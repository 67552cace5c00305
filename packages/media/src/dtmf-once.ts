/**
 * The same press as RFC 4733 and as SIP INFO within this long counts once: a phone or trunk that
 * sends both for one key must not press it twice for the agent.
 */
export const DTMF_DUPLICATE_WINDOW_MS = 200;

export type DtmfVia = 'rtp' | 'info';

/**
 * Many gateways send a key press both in-band as RFC 4733 events and as a SIP INFO. The agent must
 * see it once: a digit that arrives the other way within 200 ms of the same digit is the same press.
 */
export class DtmfOnce {
  #last: { digit: string; via: DtmfVia; atMs: number } | undefined;

  /** Whether this report is a new press (report it) or the other path's copy of the last one. */
  isNewPress(digit: string, via: DtmfVia, nowMs: number): boolean {
    const last = this.#last;
    if (last && last.digit === digit && last.via !== via && nowMs - last.atMs <= DTMF_DUPLICATE_WINDOW_MS) {
      this.#last = undefined; // that press is accounted for; a third report is a new press
      return false;
    }
    this.#last = { digit, via, atMs: nowMs };
    return true;
  }
}
