import type { Logger } from '@voicebridge/protocol';

/** One warning line per interval for messages dropped without an answer; default 10 s. */
const DEFAULT_INTERVAL_MS = 10_000;

/**
 * A warning that a flood must not turn into a flood of log lines: the first occurrence is logged at
 * once, later ones at most once per interval, each line carrying how many were not logged since the
 * one before (`suppressed`). Time is injected for tests.
 */
export class ThrottledWarning {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #lastAtMs: number | undefined;
  #suppressed = 0;

  constructor(log: Logger, intervalMs = DEFAULT_INTERVAL_MS, now: () => number = () => performance.now()) {
    this.#log = log;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  warn(fields: Record<string, unknown>, message: string): void {
    const nowMs = this.#now();
    if (this.#lastAtMs !== undefined && nowMs - this.#lastAtMs < this.#intervalMs) {
      this.#suppressed++;
      return;
    }
    this.#log.warn({ ...fields, suppressed: this.#suppressed }, message);
    this.#lastAtMs = nowMs;
    this.#suppressed = 0;
  }
}
