import type { TrunkConfig } from '@voicebridge/protocol';
import { TokenBucket } from './token-bucket.ts';

export interface CallLimitsOptions {
  /** MAX_CONCURRENT_CALLS and MAX_CALLS_PER_SECOND: the whole bridge. */
  maxCalls: number;
  callsPerSecond: number;
  nowMs?: () => number;
}

export interface LimitRefusal {
  /** Which limit, for the log line: `MAX_CONCURRENT_CALLS`, `trunk carrier maxCalls`, ... */
  limit: string;
  retryAfterS: number;
}

/** Seconds a caller refused for concurrency is asked to wait: calls last minutes, not seconds. */
const CONCURRENCY_RETRY_AFTER_S = 5;

/**
 * Overload admission: concurrent calls and new calls per second, for the bridge and per trunk.
 * Consulted once per new INVITE transaction (retransmissions are absorbed by the SIP core before
 * this), so a retransmitted INVITE never counts twice. Rate buckets allow one second's worth at once.
 */
export class CallLimits {
  readonly #options: CallLimitsOptions;
  readonly #now: () => number;
  readonly #global: TokenBucket;
  readonly #trunkBuckets = new Map<string, TokenBucket>();

  constructor(options: CallLimitsOptions) {
    this.#options = options;
    this.#now = options.nowMs ?? Date.now;
    this.#global = new TokenBucket(options.callsPerSecond, Math.max(1, options.callsPerSecond), this.#now());
  }

  /**
   * Undefined when the call may go on, which takes a token from each rate bucket concerned;
   * a refusal takes nothing. `active` counts calls in progress, `trunkActive` those of the trunk.
   */
  admit(trunk: TrunkConfig | undefined, active: number, trunkActive: number): LimitRefusal | undefined {
    const now = this.#now();
    if (active >= this.#options.maxCalls)
      return { limit: 'MAX_CONCURRENT_CALLS', retryAfterS: CONCURRENCY_RETRY_AFTER_S };
    if (trunk?.maxCalls !== undefined && trunkActive >= trunk.maxCalls) {
      return { limit: `trunk ${trunk.name} maxCalls`, retryAfterS: CONCURRENCY_RETRY_AFTER_S };
    }
    const bucket = trunk === undefined ? undefined : this.#trunkBucket(trunk, now);
    if (bucket !== undefined && !bucket.take(now))
      return { limit: `trunk ${trunk?.name ?? ''} callsPerSecond`, retryAfterS: bucket.retryAfterS(now) };
    if (!this.#global.take(now)) return { limit: 'MAX_CALLS_PER_SECOND', retryAfterS: this.#global.retryAfterS(now) };
    return undefined;
  }

  #trunkBucket(trunk: TrunkConfig, now: number): TokenBucket | undefined {
    const rate = trunk.callsPerSecond;
    if (rate === undefined) {
      this.#trunkBuckets.delete(trunk.name);
      return undefined;
    }
    let bucket = this.#trunkBuckets.get(trunk.name);
    if (bucket === undefined || bucket.ratePerSecond !== rate) {
      bucket = new TokenBucket(rate, Math.max(1, rate), now);
      this.#trunkBuckets.set(trunk.name, bucket);
    }
    return bucket;
  }
}
