/**
 * The one pacing clock of a media worker. Every call's sender subscribes with its ptime; the clock
 * wakes on a 1 ms tick grid and calls each subscriber once per period at its own offset.
 *
 * Why one clock, spread out (DESIGN.md, "Media facts"): one shared clock with the calls' send times
 * spread across the 20 ms period paced ~500 calls at p99 < 2 ms and up to 1,500 at 2.1–2.5 ms; all
 * calls firing on the same millisecond managed only 250–400, and a timer per call is worse. So `add`
 * puts each subscriber on the least-loaded offset of its period (20 ms subscribers fill offsets
 * 0…19 before doubling up).
 *
 * Besides its timer the clock is polled (`poll`) from every received packet: under load that runs
 * due sends within tens of microseconds of their time, where the timer alone fires at the event
 * loop's next millisecond and after the whole I/O poll in progress (one media process, 500 calls:
 * p50 0.75 → 0.15 ms, p99 3–5.5 → 1.4–2.1 ms; docs/operations.md).
 *
 * Time is an absolute schedule: tick t is due at `origin + t × tickMs`, measured with `now()`
 * (`performance.now()` by default), so a late wake-up shortens the next delay instead of pushing
 * every later tick back; setTimeout lateness never accumulates into drift.
 *
 * After a stall (GC pause, blocked event loop) a subscriber is called for its current period plus at
 * most `maxCatchUpPeriods` missed ones (default 1), in order, each with its own scheduled time; older
 * missed periods are dropped. Catching up everything would send a burst as long as the stall, which
 * far-end jitter buffers discard anyway and which spikes this process's load exactly when it is
 * already behind. No subscriber is called before its scheduled time, and dropped periods become a
 * timestamp gap the receiver conceals (what a call bursts is a live stream's late audio: OutboundSender).
 */

export interface ClockSlot {
  /** Where in its period this subscriber fires, 0 ≤ offsetMs < periodMs, a multiple of tickMs. */
  readonly offsetMs: number;
  readonly periodMs: number;
  /** Stops the calls; idempotent, and a no-op after the clock closed. */
  remove(): void;
}

/** The timer functions the clock uses; injectable so tests can drive it with a fake clock. */
export interface ClockTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface MediaClockOptions {
  /** Grid of possible send times; default 1 ms. Periods must be multiples of it. */
  tickMs?: number;
  /** Monotonic time in ms; default `performance.now()`. */
  now?: () => number;
  /** Missed periods a subscriber is still called for after a stall; default 1, 0 = none. */
  maxCatchUpPeriods?: number;
  /**
   * Receives what a subscriber threw; the other subscribers are called regardless. Without it such
   * errors are dropped silently, so a media worker should always pass one (and log).
   */
  onError?: (error: unknown) => void;
  timers?: ClockTimers;
}

type OnTick = (scheduledAtMs: number) => void;

class Subscription implements ClockSlot {
  removed = false;
  readonly #detach: (subscription: Subscription) => void;

  constructor(
    readonly periodMs: number,
    readonly offsetMs: number,
    readonly periodTicks: number,
    readonly offsetTicks: number,
    /** No call before this tick, so a subscriber added late is not "caught up" on its past. */
    readonly firstTick: number,
    readonly onTick: OnTick,
    detach: (subscription: Subscription) => void,
  ) {
    this.#detach = detach;
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    this.#detach(this);
  }
}

/** All subscribers of one period, by offset: at tick t the due ones are `buckets[t mod period]`. */
interface PeriodGroup {
  readonly periodTicks: number;
  readonly buckets: Set<Subscription>[];
  size: number;
}

/** A period costs one bucket per tick; media periods are tens of ticks, so this is generous. */
const MAX_PERIOD_TICKS = 10_000;

const DEFAULT_TIMERS: ClockTimers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class MediaClock {
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #maxCatchUpPeriods: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #timers: ClockTimers;
  readonly #originMs: number;
  readonly #groups = new Map<number, PeriodGroup>();
  #groupList: PeriodGroup[] = [];
  #maxPeriodTicks = 0;
  #subscriberCount = 0;
  /** The first tick not yet run. */
  #nextTick = 0;
  /** The pending wake-up, if any: there is none while no one is subscribed. */
  #timer: unknown = undefined;
  /** When the pending wake-up is due on the `now()` time line; Infinity when none is. */
  #wakeAtMs = Number.POSITIVE_INFINITY;
  #running = false;
  #closed = false;
  #maxLatenessMs = 0; // the latest wake-up since takeMaxLatenessMs last read it, ms after its due time

  constructor(options: MediaClockOptions = {}) {
    const tickMs = options.tickMs ?? 1;
    if (!(tickMs > 0 && Number.isFinite(tickMs))) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
    const maxCatchUp = options.maxCatchUpPeriods ?? 1;
    if (!Number.isInteger(maxCatchUp) || maxCatchUp < 0) {
      throw new RangeError(`maxCatchUpPeriods must be an integer ≥ 0, got ${maxCatchUp}`);
    }
    this.#tickMs = tickMs;
    this.#now = options.now ?? (() => performance.now());
    this.#maxCatchUpPeriods = maxCatchUp;
    this.#onError = options.onError;
    this.#timers = options.timers ?? DEFAULT_TIMERS;
    this.#originMs = this.#now();
  }

  /** Subscribers currently added. */
  get size(): number {
    return this.#subscriberCount;
  }

  /**
   * Calls `onTick(scheduledAtMs)` once every `periodMs`, at the least-loaded offset of the period,
   * starting at the next occurrence of that offset. `scheduledAtMs` is on the `now()` time line and
   * advances by exactly `periodMs` between calls (by a multiple of it after dropped periods).
   */
  add(periodMs: number, onTick: OnTick): ClockSlot {
    if (this.#closed) throw new Error('MediaClock is closed');
    const periodTicks = this.#periodTicksOf(periodMs);
    const offsetTicks = this.#leastLoadedOffset(periodTicks);
    const from = this.#earliestTick();
    return this.#subscribe(periodTicks, offsetTicks, from + mod(offsetTicks - from, periodTicks), onTick);
  }

  /**
   * Like `add`, but the phase is the caller's: the first call is at `firstAtMs` (rounded up to the
   * tick grid, and no earlier than the next tick), then every `periodMs`. A call's sender re-phases
   * its sending this way when a talkspurt starts, without a timer of its own.
   */
  addAt(periodMs: number, firstAtMs: number, onTick: OnTick): ClockSlot {
    if (this.#closed) throw new Error('MediaClock is closed');
    const periodTicks = this.#periodTicksOf(periodMs);
    if (!Number.isFinite(firstAtMs)) throw new RangeError(`firstAtMs must be finite, got ${firstAtMs}`);
    const wanted = Math.ceil((firstAtMs - this.#originMs) / this.#tickMs - 1e-9);
    const firstTick = Math.max(wanted, this.#earliestTick());
    return this.#subscribe(periodTicks, mod(firstTick, periodTicks), firstTick, onTick);
  }

  /** Now on the clock's time line (`now()`), for callers that stamp what they do between ticks. */
  nowMs(): number {
    return this.#now();
  }

  #periodTicksOf(periodMs: number): number {
    const periodTicks = Math.round(periodMs / this.#tickMs);
    if (
      !Number.isSafeInteger(periodTicks) ||
      periodTicks < 1 ||
      periodTicks > MAX_PERIOD_TICKS ||
      Math.abs(periodTicks * this.#tickMs - periodMs) > 1e-9
    ) {
      throw new RangeError(
        `periodMs must be a multiple of ${this.#tickMs} ms, 1 to ${MAX_PERIOD_TICKS} ticks, got ${periodMs}`,
      );
    }
    return periodTicks;
  }

  /** The first tick a new subscriber may be called at. */
  #earliestTick(): number {
    const nowTick = this.#tickAt(this.#now());
    // Idle since the last subscriber left: nothing is owed for the time in between.
    if (this.#subscriberCount === 0 && !this.#running) this.#nextTick = nowTick;
    return Math.max(this.#nextTick, nowTick);
  }

  #subscribe(periodTicks: number, offsetTicks: number, firstTick: number, onTick: OnTick): ClockSlot {
    const subscription = new Subscription(
      periodTicks * this.#tickMs,
      offsetTicks * this.#tickMs,
      periodTicks,
      offsetTicks,
      firstTick,
      onTick,
      (s) => this.#detach(s),
    );
    const group = this.#groupFor(periodTicks);
    (group.buckets[offsetTicks] as Set<Subscription>).add(subscription);
    group.size++;
    this.#subscriberCount++;
    if (!this.#running) this.#arm();
    return subscription;
  }

  /** Removes every subscriber and the pending timer; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelTimer();
    for (const group of this.#groupList) {
      for (const bucket of group.buckets) for (const subscription of bucket) subscription.removed = true;
    }
    this.#groups.clear();
    this.#groupList = [];
    this.#maxPeriodTicks = 0;
    this.#subscriberCount = 0;
  }

  /**
   * Runs whatever is due now, as the timer would; a cheap no-op (one `now()`) when nothing is. A
   * media worker calls it from every packet it receives: under load a packet arrives every few tens
   * of microseconds, so due sends run that close to their time instead of waiting for the timer,
   * which fires only at the next millisecond of the event loop's clock and only after every
   * callback of the current I/O poll (a burst of arrivals after a stall).
   */
  poll(): void {
    if (this.#running || this.#timer === undefined || this.#now() < this.#wakeAtMs) return;
    this.#onTimer();
  }

  /** How late the clock woke (after its earliest due tick) at worst since the last call, ms; resets. */
  takeMaxLatenessMs(): number {
    const value = this.#maxLatenessMs;
    this.#maxLatenessMs = 0;
    return value;
  }

  readonly #onTimer = (): void => {
    const lateMs = this.#now() - this.#wakeAtMs;
    if (lateMs > this.#maxLatenessMs) this.#maxLatenessMs = lateMs;
    this.#cancelTimer();
    if (this.#closed) return;
    this.#running = true;
    try {
      this.#runDue(this.#tickAt(this.#now()));
    } finally {
      this.#running = false;
    }
    if (!this.#closed && this.#subscriberCount > 0) this.#arm();
  };

  /** Runs every tick up to `nowTick` in order, within the catch-up bound. */
  #runDue(nowTick: number): void {
    const keep = this.#maxCatchUpPeriods + 1;
    let tick = Math.max(this.#nextTick, nowTick - keep * this.#maxPeriodTicks + 1);
    for (; tick <= nowTick; tick++) {
      this.#nextTick = tick + 1;
      const scheduledAtMs = this.#originMs + tick * this.#tickMs;
      const groups = this.#groupList;
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g] as PeriodGroup;
        // Older than `keep` periods of this group: a dropped period, not a late one.
        if (tick <= nowTick - keep * group.periodTicks) continue;
        const bucket = group.buckets[mod(tick, group.periodTicks)] as Set<Subscription>;
        if (bucket.size === 0) continue;
        // A Set's iteration skips members deleted during it, so a slot removed by an earlier
        // callback of this tick is not called.
        for (const subscription of bucket) {
          if (subscription.removed || tick < subscription.firstTick) continue;
          this.#call(subscription, scheduledAtMs);
          if (this.#closed) return;
        }
      }
    }
    if (this.#nextTick <= nowTick) this.#nextTick = nowTick + 1;
  }

  #call(subscription: Subscription, scheduledAtMs: number): void {
    try {
      subscription.onTick(scheduledAtMs);
    } catch (error) {
      if (this.#onError === undefined) return;
      try {
        this.#onError(error);
      } catch {
        // A failing error reporter must not stop the other subscribers either.
      }
    }
  }

  /** Sets the one timer for the earliest tick at which anyone is due. */
  #arm(): void {
    this.#cancelTimer();
    if (this.#closed || this.#subscriberCount === 0) return;
    const dueMs = this.#originMs + this.#nextDueTick() * this.#tickMs;
    const delayMs = Math.max(0, Math.ceil(dueMs - this.#now()));
    this.#wakeAtMs = dueMs;
    this.#timer = this.#timers.setTimeout(this.#onTimer, delayMs);
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wakeAtMs = Number.POSITIVE_INFINITY;
  }

  /** The first tick from `nextTick` on with a non-empty bucket; one longest period covers all. */
  #nextDueTick(): number {
    const end = this.#nextTick + this.#maxPeriodTicks;
    for (let tick = this.#nextTick; tick < end; tick++) {
      for (const group of this.#groupList) {
        if ((group.buckets[mod(tick, group.periodTicks)] as Set<Subscription>).size > 0) return tick;
      }
    }
    return this.#nextTick;
  }

  /**
   * The offset whose ticks carry the fewest other subscribers, counting every period: a subscriber
   * of period Q at offset p shares a tick with offset o of period P iff o ≡ p (mod gcd(P, Q)), on
   * gcd(P, Q) / Q of the new subscriber's ticks. Ties go to the lowest offset.
   */
  #leastLoadedOffset(periodTicks: number): number {
    let best = 0;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let offset = 0; offset < periodTicks; offset++) {
      let load = 0;
      for (const group of this.#groupList) {
        const q = group.periodTicks;
        const step = gcd(periodTicks, q);
        let shared = 0;
        for (let p = offset % step; p < q; p += step) shared += (group.buckets[p] as Set<Subscription>).size;
        load += (shared * step) / q;
      }
      if (load < bestLoad - 1e-9) {
        best = offset;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    return best;
  }

  #groupFor(periodTicks: number): PeriodGroup {
    let group = this.#groups.get(periodTicks);
    if (group === undefined) {
      const buckets: Set<Subscription>[] = [];
      for (let i = 0; i < periodTicks; i++) buckets.push(new Set());
      group = { periodTicks, buckets, size: 0 };
      this.#groups.set(periodTicks, group);
      this.#refreshGroups();
    }
    return group;
  }

  #detach(subscription: Subscription): void {
    if (this.#closed) return;
    const group = this.#groups.get(subscription.periodTicks);
    if (group === undefined) return;
    const bucket = group.buckets[subscription.offsetTicks] as Set<Subscription>;
    if (!bucket.delete(subscription)) return;
    group.size--;
    this.#subscriberCount--;
    if (group.size === 0) {
      this.#groups.delete(subscription.periodTicks);
      this.#refreshGroups();
    }
    if (this.#subscriberCount === 0) this.#cancelTimer();
  }

  #refreshGroups(): void {
    this.#groupList = [...this.#groups.values()];
    this.#maxPeriodTicks = 0;
    for (const group of this.#groupList) this.#maxPeriodTicks = Math.max(this.#maxPeriodTicks, group.periodTicks);
  }

  #tickAt(ms: number): number {
    // The epsilon keeps a wake-up at exactly the due time from rounding down to the tick before.
    return Math.floor((ms - this.#originMs) / this.#tickMs + 1e-9);
  }
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
