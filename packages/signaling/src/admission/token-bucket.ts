/**
 * A token bucket: `burst` requests at once, refilled at `ratePerSecond`. Time comes from the caller
 * (milliseconds) so limits are tested without waiting.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #atMs: number;

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#atMs = nowMs;
  }

  /** Takes one token; false when none is left. */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whole seconds until a token is available (at least 1): the Retry-After of a refusal. */
  retryAfterS(nowMs: number): number {
    this.#refill(nowMs);
    return Math.max(1, Math.ceil((1 - this.#tokens) / this.ratePerSecond));
  }

  /** True when the bucket is full again: an idle entry that may be forgotten. */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.burst;
  }

  #refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.#atMs);
    this.#atMs = nowMs;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs * this.ratePerSecond) / 1000);
  }
}
