/**
 * How far one call's outgoing audio has fallen behind the media clock, in frames, and how much of
 * that must go (ADR 0014). Lag comes from two places.
 *
 * **Periods the clock skipped** (a stall of this process: GC, a blocked event loop; MediaClock
 * drops all but one missed period) while a stream was under way and its queue did not hold the
 * audio those periods would have played. Such audio is still to come — a stream fed at real time
 * (an echo, a bot or a model streaming live) sends it after the stall, in a burst — and without this
 * bookkeeping every frame of the burst would be played, one per period, keeping the stall as a
 * standing delay for the rest of the call (measured: p50 184–213 ms round trip at 500 calls on one
 * media process). Audio queued ahead on purpose (TTS, a bot sending faster than real time) is not
 * lag: the periods a stall skipped are first counted against the frames already queued, which were
 * due after the stall anyway, so a reply queued ahead is only shifted by the stall, never cut.
 *
 * A period the sender filled with silence because the stream had no frame (an underrun) pays one
 * frame of lag back: the source was slower than the clock, so the frame owed for it is not coming.
 * Not right after a stall, though, nor when the sender runs the period late in the middle of a
 * stream: the clock's catch-up call and the next periods run before this process has even read
 * what the source sent meanwhile (an event loop busy for 35 ms skips no period, yet the echo of what
 * it read after comes back in a burst of two), so silence there is one more frame late, not a frame
 * missing (if the source had in fact stopped, the underruns after pay it back).
 *
 * **A standing queue in front of a live source.** A source that keeps pace with the clock and
 * whose audio came late once — the caller's or the network's jitter, a sender that paused and then
 * sent what it held in a burst — leaves its periods to silence, and the late frames arrive together
 * with the next. Played losslessly, that extra audio never drains: the queue grows to the worst
 * burst of the call and stays there (measured: round trip p50 116 ms after 5 s at 500 calls, 243 ms
 * after 20 s, no period skipped). So each queued frame sent reports how long it waited if it was
 * **paced** (it arrived no sooner than the audio before it could play: OutboundPath), and over
 * `standingWindow` sends with at least `MIN_PACED` such frames, the shortest wait, less half a
 * period of slack for the source's jitter, in whole periods, is audio every one of them waited
 * behind: it is owed, and shed one frame per send. Audio queued ahead on purpose arrives faster than
 * real time, in chunks of many frames: none of it is paced, so it is never measured and never cut.
 * The usual case is seen sooner: periods a live stream (a paced frame among the last 3 sent) left
 * to silence, followed by a queue about as long as that silence at the next send, are that
 * silence's audio arriving late, owed at once (`#lateBurst`); a longer queue is a reply queued
 * ahead, and owes nothing.
 *
 * Most of this now happens only beyond half a second: a live stream's slots that find no frame, and
 * those a stall skipped, are held by OutboundSender (nothing sent, their timestamps kept) until the
 * late frames come, which then go out at once with nothing owed (`holdable`). The bookkeeping
 * above is for what is left: audio not paced, a stream whose frames come later than that, and
 * the slots given up after it.
 *
 * What a stall made owed is shed from the queue:
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
  /** The send period (ptime), ms: a standing wait is counted in it. Default 20. */
  periodMs?: number;
  /** Sends a standing queue is measured over; default 25 (half a second at 20 ms). */
  standingWindow?: number;
}

export class PlayoutLag {
  readonly targetFrames: number;
  readonly shedEveryPeriods: number;
  readonly periodMs: number;
  readonly standingWindow: number;
  #owed = 0;
  /** Of what is owed, the frames a standing queue made: shed one per send. */
  #standing = 0;
  /** The window under way: sends, paced frames among them, and their shortest wait. */
  #sends = 0;
  #paced = 0;
  #minWaitMs = Infinity;
  /** Sends since the last paced frame, and periods sent as silence since a paced one (capped). */
  #sincePaced = Infinity;
  #silentPaced = 0;
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
    const periodMs = options.periodMs ?? 20;
    if (!(periodMs > 0)) throw new RangeError(`periodMs must be > 0, got ${periodMs}`);
    const window = options.standingWindow ?? 25;
    if (!Number.isInteger(window) || window < 1)
      throw new RangeError(`standingWindow must be an integer ≥ 1, got ${window}`);
    this.targetFrames = options.targetFrames;
    this.shedEveryPeriods = every;
    this.periodMs = periodMs;
    this.standingWindow = window;
  }

  /** Frames of lag not yet shed. */
  get owed(): number {
    return this.#owed;
  }

  /**
   * Whether a slot that found no frame may be held for it (OutboundSender): the stream is live (a
   * paced frame among the last few sent), and no lag is owed nor a stall under way, whose silence
   * this bookkeeping counts.
   */
  get holdable(): boolean {
    return this.#sincePaced <= PACED_RECENT_SENDS && this.#owed === 0 && this.#grace === 0;
  }

  /** The clock skipped `periods` send periods of a stream under way whose queue held `queuedFrames`. */
  skipped(periods: number, queuedFrames: number): void {
    if (periods <= queuedFrames) return;
    this.#owed += periods - queuedFrames;
    this.#grace = STALL_GRACE_PERIODS;
  }

  /**
   * A queued frame was sent; `waitedMs` is how long it waited since it arrived (from the slot's
   * scheduled time, so this process's own lateness is not counted) when it was paced, else
   * undefined. A window's standing queue becomes lag owed; nothing is measured while lag is being
   * paid back, and the window starts again after.
   */
  sent(waitedMs: number | undefined, queuedAfter = 0): void {
    if (this.#silentPaced > 0) this.#lateBurst(queuedAfter);
    this.#sincePaced = waitedMs === undefined ? this.#sincePaced + 1 : 0;
    if (this.#owed > 0) {
      this.#restartWindow();
      return;
    }
    if (waitedMs !== undefined) {
      this.#paced++;
      if (waitedMs < this.#minWaitMs) this.#minWaitMs = waitedMs;
    }
    if (++this.#sends < this.standingWindow) return;
    const standing = this.#paced < MIN_PACED ? 0 : Math.floor((this.#minWaitMs - this.periodMs / 2) / this.periodMs);
    this.#restartWindow();
    if (standing <= 0) return;
    this.#owed += standing;
    this.#standing += standing;
  }

  /**
   * A talkspurt's first frame went out (after silence, as it arrived): a queue can only stand
   * behind it, so the window starts after it.
   */
  talkspurt(): void {
    this.#restartWindow();
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
    else if (this.#sincePaced <= PACED_RECENT_SENDS) {
      // A live stream's frame is missing: late or not coming; the next send tells (`#lateBurst`).
      this.#silentPaced = Math.min(this.#silentPaced + 1, MAX_LATE_BURST);
    }
    if (this.#standing > this.#owed) this.#standing = this.#owed;
    this.#sinceShed = 0;
    // The queue ran dry: nothing stands in it.
    this.#restartWindow();
  }

  /** The queue was emptied on purpose (`clear`): nothing queued can be late any more. */
  reset(): void {
    this.#owed = 0;
    this.#standing = 0;
    this.#sinceShed = 0;
    this.#grace = 0;
    this.#silentPaced = 0;
    // What was live was cleared: a reply after it is not that stream's late audio.
    this.#sincePaced = Infinity;
    this.#restartWindow();
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
    if (this.#standing > 0) return { now: 1, window: this.shedEveryPeriods, silentOnly: false };
    if (this.#owed > this.targetFrames) return { now: this.#owed - this.targetFrames, window: 0, silentOnly: false };
    if (++this.#sinceShed < this.shedEveryPeriods) return NO_SHED;
    return { now: 1, window: this.shedEveryPeriods, silentOnly: this.#sinceShed < 2 * this.shedEveryPeriods };
  }

  /** A frame was dropped to pay lag back. */
  paid(): void {
    if (this.#owed > 0) this.#owed--;
    if (this.#standing > 0) this.#standing--;
    this.#sinceShed = 0;
    this.dropped++;
  }

  /**
   * The first send after periods a live stream left to silence, with `queuedAfter` frames still
   * queued behind it: a burst about as long as the silence is the audio those periods were late
   * for, owed at once; a longer one is audio queued ahead (a reply after the stream), owed nothing.
   */
  #lateBurst(queuedAfter: number): void {
    const silent = this.#silentPaced;
    this.#silentPaced = 0;
    if (queuedAfter > silent + LATE_BURST_SLACK) return;
    const late = Math.min(silent, queuedAfter);
    this.#owed += late;
    this.#standing += late;
  }

  #restartWindow(): void {
    this.#sends = 0;
    this.#paced = 0;
    this.#minWaitMs = Infinity;
  }
}

export interface Shed {
  now: number;
  window: number;
  silentOnly: boolean;
}

/** The clock's one catch-up call, the current period, and one more for the source's burst to arrive. */
const STALL_GRACE_PERIODS = 3;
/** A stream whose last paced frame is at most this many sends back is live (`underrun`). */
const PACED_RECENT_SENDS = 3;
/** Silent periods of a live stream remembered for the burst after them: at most half a second. */
const MAX_LATE_BURST = 25;
/** A burst at most this many frames longer than the silence before it is that silence's audio, late. */
const LATE_BURST_SLACK = 2;
/** Paced frames a window needs before its shortest wait says anything about the source. */
const MIN_PACED = 5;
const NO_SHED: Shed = { now: 0, window: 0, silentOnly: false };
