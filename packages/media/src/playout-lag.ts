/**
 * How far one call's outgoing audio has fallen behind the media clock, in frames, and how much of
 * that must go (ADR 0014).
 *
 * Lag comes from one place: send periods the clock skipped (a stall of this process: GC, a blocked
 * event loop; MediaClock drops all but one missed period) while a stream was under way and its queue
 * did not hold the audio those periods would have played. Such audio is still to come — a stream
 * fed at real time (an echo, a bot or a model streaming live) sends it after the stall, in a burst —
 * and without this bookkeeping every frame of the burst would be played, one per period, keeping
 * the stall as a standing delay for the rest of the call (measured: p50 184–213 ms round trip at 500
 * calls on one media process). Audio queued ahead on purpose (TTS, a bot sending faster than real
 * time) is not lag: the periods a stall skipped are first counted against the frames already queued,
 * which were due after the stall anyway, so a reply queued ahead is only shifted by the stall, never cut.
 *
 * A period the sender filled with silence because the stream had no frame (an underrun) pays one
 * frame of lag back: the source was slower than the clock, so the frame owed for it is not coming.
 * Not right after a stall, though, nor when the sender runs the period late in the middle of a
 * stream: the clock's catch-up call and the next periods run before this process has even read what
 * the source sent meanwhile (an event loop busy for 35 ms skips no period, yet the echo of what it
 * read after comes back in a burst of two), so silence there is one more frame late, not a frame missing (if the source had in
 * fact stopped, the underruns after pay it back).
 *
 * What is owed is shed from the queue:
 *   - above `targetFrames` (the jitter buffer's depth plus one period), at once, the oldest first;
 *   - at or below it, one frame every `shedEveryPeriods` sends: a silent one among the next
 *     `shedEveryPeriods` queued (a cut in a pause is inaudible), waited for up to as many sends
 *     again, else the oldest. So the round trip is back to its steady value within a second of a
 *     200 ms stall (4 frames below a 60 ms jitter buffer's target, at most 10 sends each).
 */
/** The call's playout target in frames: its jitter buffer's depth cap plus one period (ADR 0014). */
export function playoutTargetFrames(jitterMaxDepthMs: number, ptimeMs: number): number {
  return Math.ceil((jitterMaxDepthMs + ptimeMs) / ptimeMs);
}

export interface PlayoutLagOptions {
  /** Frames owed above this are dropped at once. */
  targetFrames: number;
  /** Below the target, one frame goes every this many sends; default 5 (100 ms at 20 ms ptime). */
  shedEveryPeriods?: number;
}

export class PlayoutLag {
  readonly targetFrames: number;
  readonly shedEveryPeriods: number;
  #owed = 0;
  #sinceShed = 0;
  /** Periods after a stall whose underruns count as lag, not as a source slower than the clock. */
  #grace = 0;
  /** Frames dropped to bound the lag, for the session's stats. */
  dropped = 0;

  constructor(options: PlayoutLagOptions) {
    if (!Number.isInteger(options.targetFrames) || options.targetFrames < 0) {
      throw new RangeError(`targetFrames must be an integer ≥ 0, got ${options.targetFrames}`);
    }
    const every = options.shedEveryPeriods ?? 5;
    if (!Number.isInteger(every) || every < 1)
      throw new RangeError(`shedEveryPeriods must be an integer ≥ 1, got ${every}`);
    this.targetFrames = options.targetFrames;
    this.shedEveryPeriods = every;
  }

  /** Frames of lag not yet shed. */
  get owed(): number {
    return this.#owed;
  }

  /** The clock skipped `periods` send periods of a stream under way whose queue held `queuedFrames`. */
  skipped(periods: number, queuedFrames: number): void {
    if (periods <= queuedFrames) return;
    this.#owed += periods - queuedFrames;
    this.#grace = STALL_GRACE_PERIODS;
  }

  /**
   * A period went out as silence for want of a frame. `late`: the sender itself ran that period late
   * (half a period or more) in the middle of a stream, so the frame is likely stuck behind the same
   * delay in this process, not missing.
   */
  underrun(late = false): void {
    if (this.#grace > 0 || late) {
      if (this.#grace > 0) this.#grace--;
      this.#owed++;
    } else if (this.#owed > 0) this.#owed--;
    this.#sinceShed = 0;
  }

  /** The queue was emptied on purpose (`clear`): nothing queued can be late any more. */
  reset(): void {
    this.#owed = 0;
    this.#sinceShed = 0;
    this.#grace = 0;
  }

  /**
   * Before a queued frame is sent: how many frames to drop now, among the first `window` queued,
   * and whether only a silent one will do (`silentOnly`: if none is, drop nothing this time).
   */
  shed(): Shed {
    if (this.#owed === 0) {
      this.#sinceShed = 0;
      return NO_SHED;
    }
    if (this.#owed > this.targetFrames) return { now: this.#owed - this.targetFrames, window: 0, silentOnly: false };
    if (++this.#sinceShed < this.shedEveryPeriods) return NO_SHED;
    return { now: 1, window: this.shedEveryPeriods, silentOnly: this.#sinceShed < 2 * this.shedEveryPeriods };
  }

  /** A frame was dropped to pay lag back. */
  paid(): void {
    if (this.#owed > 0) this.#owed--;
    this.#sinceShed = 0;
    this.dropped++;
  }
}

export interface Shed {
  now: number;
  window: number;
  silentOnly: boolean;
}

/** The clock's one catch-up call, the current period, and one more for the source's burst to arrive. */
const STALL_GRACE_PERIODS = 3;
const NO_SHED: Shed = { now: 0, window: 0, silentOnly: false };
