import type { ClockSlot, MediaClock } from '@voicebridge/rtp';
import type { CallRecorder } from './call-recorder.ts';
import type { DtmfOutbound } from './dtmf-outbound.ts';
import type { OutboundQueue } from './outbound-queue.ts';
import type { PlayoutLag } from './playout-lag.ts';
import type { RtpSender } from './rtp-sender.ts';

const SAMPLES_PER_MS = 8;
/**
 * Slots held for a live stream's late frames at most: half a second at 20 ms, as long as PlayoutLag
 * remembers a live stream's silence for the late burst after it.
 */
const MAX_HELD_SLOTS = 25;
/** Paced frames in a row that waited a quarter period or more before a live stream is re-phased. */
const REPHASE_AFTER_FRAMES = 10;
/** At most this many frames queued (a live stream's, not a reply queued ahead) for a re-phase. */
const REPHASE_MAX_QUEUED = 3;
const NO_MARKS: readonly string[] = [];

export interface OutboundSenderOptions {
  clock: MediaClock;
  ptimeMs: number;
  rtp: RtpSender;
  queue: OutboundQueue;
  /** The call's lag behind the clock after stalls, and what of it to drop (ADR 0014). */
  lag: PlayoutLag;
  /** When telephone-event was negotiated. */
  dtmf: DtmfOutbound | undefined;
  recorder: CallRecorder | undefined;
  /** Whether the call sends now: started, not on hold. */
  active: () => boolean;
  /** Marks whose audio left the socket (or that had no audio before them), in order. */
  onMarksPlayed: (names: readonly string[]) => void;
}

/**
 * Paces one call's RTP out, on two kinds of slot of the worker's shared clock:
 *
 *   - the call's **regular slot** (`tick`, every ptime at the offset the clock gave it): silence,
 *     DTMF, and agent audio while a talkspurt started there is under way;
 *   - a **talkspurt slot**: when agent audio arrives while the call is sending silence, its first
 *     frame is sent at once (`audioQueued`) and the rest every ptime from that moment, on a slot the
 *     clock adds at that phase (`MediaClock.addAt`), so the first frame does not wait up to a ptime
 *     for the regular slot. The slot is removed when it finds the queue empty (end of the reply,
 *     clear, hold, DTMF); the regular slot then takes over again.
 *
 * Timestamps follow wall time on the regular slot (base + elapsed × 8). A talkspurt continues the
 * timestamp line without a gap: its first packet has the timestamp right after the last packet sent
 * (so it is at most one ptime "early") and the RTP marker bit (RFC 3551 §4.1: first packet of a
 * talkspurt). Back on the regular slot, slots whose timestamp the talkspurt already used are skipped,
 * so the line stays contiguous and meets wall time again.
 *
 * Periods the clock skipped in a stall are counted on the regular slot (PlayoutLag); before each
 * queued frame is sent, the lag above the call's target is dropped, and the rest shed slowly.
 *
 * **A live stream's late frame keeps its slot.** When a slot of a stream fed at real time (an echo,
 * a bot or a model streaming live: `PlayoutLag.holdable`) finds no frame, nothing is sent and the
 * slot's timestamp is held; so are the slots a stall of this process skipped. The late frames go
 * out the moment they arrive, each with its held timestamp, and the next on its own slot: the far
 * end sees packets as late as the source's were (its jitter buffer is there for that), the queue
 * stays as short as before, and no audio is lost. Silence in the slot instead would have pushed every
 * later frame back one period for the rest of the stream, or cost a frame to win the period back
 * (ADR 0014). Held slots add no delay, so they are not bounded by the playout target but by how
 * long a stream may go without a packet before it counts as ended: half a second (a source that
 * stopped talking costs that long with no packet, then silence). A frame not come by then, a stall
 * longer than that, a key press or hold give the held slots up: they count as underruns and the
 * stream goes on with silence, with the late audio shed as before.
 *
 * **A live stream is sent in step with its arrivals.** A stream that began on the regular slot (its
 * first audio came before the call's first tick, or right after a key press) or whose source's phase
 * drifted can find every frame arriving just after its slot and waiting most of a period for the
 * next (measured: a 20 ms echo round trip for nothing); a frame left standing in front of it (two
 * that came at once at the start) adds a period more for good. When 10 paced frames in a row each
 * waited a quarter period or more, at the next arrival the queue, if it holds at most 3 frames (a
 * live stream's, not a reply queued ahead), goes out at once, next on the timestamp line (early, as
 * a talkspurt's first packet can be; no marker: the talkspurt goes on), and a talkspurt slot at
 * that phase paces the rest.
 */
export class OutboundSender {
  readonly #options: OutboundSenderOptions;
  readonly #frameSamples: number;
  readonly #silence: Int16Array;
  #startedAtMs = 0;
  /** Timestamp of the last voice packet sent; undefined before the first. */
  #lastTimestamp: number | undefined;
  /** The last voice packet carried agent audio (a talkspurt is under way). */
  #speaking = false;
  #talkspurt: ClockSlot | undefined;
  /** Scheduled time of the regular slot's last call while active; undefined when inactive. */
  #lastTickAtMs: number | undefined;
  /** Slots held for a live stream's late frame; their timestamps follow `#lastTimestamp`. */
  #holes = 0;
  /** Paced frames in a row that waited a quarter period or more for their slot. */
  #waitedLong = 0;
  readonly #rephaseWaitMs: number;

  constructor(options: OutboundSenderOptions) {
    this.#options = options;
    this.#frameSamples = options.ptimeMs * SAMPLES_PER_MS;
    this.#silence = new Int16Array(this.#frameSamples);
    this.#rephaseWaitMs = options.ptimeMs / 4;
  }

  /** Whether a talkspurt slot is sending (diagnostics, tests). */
  get inTalkspurt(): boolean {
    return this.#talkspurt !== undefined;
  }

  /** The RTP timestamp for a moment on the clock's time line (RTCP sender reports). */
  timestampAt(atMs: number): number {
    return (this.#options.rtp.timestampBase + Math.round((atMs - this.#startedAtMs) * SAMPLES_PER_MS)) >>> 0;
  }

  /** The call's regular send slot. */
  tick(scheduledAtMs: number): void {
    if (!this.#options.active()) {
      this.#endTalkspurt();
      this.#lastTickAtMs = undefined;
      this.#holes = 0;
      return;
    }
    if (this.#startedAtMs === 0) this.#startedAtMs = scheduledAtMs;
    this.#countSkipped(scheduledAtMs);
    if (this.#talkspurt) return; // the talkspurt's slot sends
    const timestamp = this.timestampAt(scheduledAtMs);
    // Right after a talkspurt: this slot's timestamp is already used.
    if (this.#lastTimestamp !== undefined && ((timestamp - this.#lastTimestamp - this.#frameSamples) | 0) < 0) return;
    this.#reportLeadingMarks(); // marks with no audio before them
    const { dtmf, rtp } = this.#options;
    // Key presses play instead of voice (silence between keys); the agent's audio waits in the queue.
    if (dtmf?.busy) {
      this.#releaseHoles();
      if (!rtp.sendEvent(dtmf, timestamp)) this.#sendFrame(this.#silence, timestamp, scheduledAtMs, false);
      else {
        this.#lastTimestamp = timestamp;
        this.#speaking = false;
      }
      return;
    }
    this.#fillHoles(scheduledAtMs);
    if (this.#holes === 0 && this.#frameReady()) this.#sendQueued(timestamp, scheduledAtMs, !this.#speaking);
    else if (!this.#hold()) {
      const { lag, clock, ptimeMs } = this.#options;
      lag.underrun(this.#speaking && clock.nowMs() - scheduledAtMs >= ptimeMs / 2);
      this.#sendFrame(this.#silence, timestamp, scheduledAtMs, false);
    }
  }

  /**
   * Agent audio was just queued. If the call was sending silence (no talkspurt under way), the first
   * frame goes out now and the talkspurt's slot paces the rest from now on.
   */
  audioQueued(): void {
    const { dtmf, clock, ptimeMs } = this.#options;
    if (this.#startedAtMs === 0 || !this.#options.active() || dtmf?.busy) return;
    if (this.#holes > 0) {
      this.#fillHoles(clock.nowMs());
      return;
    }
    // A live stream's few frames (what just arrived, and any left standing in front of it), not a
    // reply queued ahead.
    const queued = this.#options.queue.frameCount;
    const rephase = this.#speaking && this.#waitedLong >= REPHASE_AFTER_FRAMES && queued <= REPHASE_MAX_QUEUED;
    if ((this.#talkspurt || this.#speaking) && !rephase) return;
    if (!this.#frameReady()) return;
    this.#endTalkspurt();
    this.#waitedLong = 0;
    const nowMs = clock.nowMs();
    const next =
      this.#lastTimestamp === undefined ? this.timestampAt(nowMs) : (this.#lastTimestamp + this.#frameSamples) >>> 0;
    const wallClock = this.timestampAt(nowMs);
    const timestamp = ((wallClock - next) | 0) > 0 ? wallClock : next;
    this.#sendQueued(timestamp, nowMs, !rephase);
    // The rest goes too: left for the new slot, each would wait a period again.
    for (let i = 1; rephase && i < queued && this.#lastTimestamp !== undefined && this.#frameReady(); i++)
      this.#sendQueued((this.#lastTimestamp + this.#frameSamples) >>> 0, nowMs, false);
    this.#talkspurt = clock.addAt(ptimeMs, nowMs + ptimeMs, (at) => this.#talkspurtTick(at));
  }

  /** Stops the talkspurt slot; idempotent. */
  close(): void {
    this.#endTalkspurt();
  }

  #talkspurtTick(scheduledAtMs: number): void {
    if (!this.#options.active() || this.#options.dtmf?.busy) {
      this.#endTalkspurt();
      return;
    }
    this.#fillHoles(scheduledAtMs);
    if (this.#holes === 0 && this.#frameReady() && this.#lastTimestamp !== undefined) {
      this.#sendQueued((this.#lastTimestamp + this.#frameSamples) >>> 0, scheduledAtMs, false);
    } else if (!this.#hold()) this.#endTalkspurt();
  }

  /**
   * A slot found no frame: holds it (sends nothing, keeps its timestamp) for a live stream whose
   * frame is late, up to MAX_HELD_SLOTS; otherwise gives up what was held. False when not held.
   */
  #hold(): boolean {
    const lag = this.#options.lag;
    if (this.#speaking && this.#holes < MAX_HELD_SLOTS && lag.holdable) {
      this.#holes++;
      return true;
    }
    this.#releaseHoles();
    return false;
  }

  /** Sends queued frames into the held slots, each with its slot's timestamp, as they arrive. */
  #fillHoles(atMs: number): void {
    while (this.#holes > 0 && this.#lastTimestamp !== undefined && this.#frameReady()) {
      this.#holes--;
      this.#sendQueued((this.#lastTimestamp + this.#frameSamples) >>> 0, atMs, false);
    }
  }

  /**
   * The held slots' frames are not coming (or a stall, a key press, hold came first): they count
   * as periods the stream left to silence, and the stream is over until audio comes again.
   */
  #releaseHoles(): void {
    if (this.#holes === 0) return;
    for (; this.#holes > 0; this.#holes--) this.#options.lag.underrun();
    this.#speaking = false;
  }

  /**
   * The regular slot advances by one period per call: a longer step is periods the clock dropped in
   * a stall. They count as lag only while a stream was under way (a silent call owes nothing).
   */
  #countSkipped(scheduledAtMs: number): void {
    const last = this.#lastTickAtMs;
    this.#lastTickAtMs = scheduledAtMs;
    if (last === undefined) return;
    const skipped = Math.round((scheduledAtMs - last) / this.#options.ptimeMs) - 1;
    if (skipped <= 0) return;
    const { queue, lag } = this.#options;
    const queued = queue.frameCount;
    // A live stream's frames for those periods are still to come: their slots are held like any other.
    if (queued === 0 && this.#speaking && lag.holdable && this.#holes + skipped <= MAX_HELD_SLOTS) {
      this.#holes += skipped;
      return;
    }
    if (this.#speaking || this.#talkspurt !== undefined || queued > 0) lag.skipped(skipped, queued);
    // After the stall is counted: what the held slots waited for is as late as the rest, not missing.
    this.#releaseHoles();
  }

  /**
   * Sheds what the lag says must go, then reports the marks now at the head; true when a frame is
   * next to send.
   */
  #frameReady(): boolean {
    const { lag, queue } = this.#options;
    const { now, window, silentOnly } = lag.shed();
    for (let i = 0; i < now && queue.dropFrame(window, silentOnly); i++) lag.paid();
    this.#reportLeadingMarks();
    return queue.peek()?.kind === 'frame';
  }

  #endTalkspurt(): void {
    this.#talkspurt?.remove();
    this.#talkspurt = undefined;
  }

  /** Sends the frame at the head of the queue; a mark right behind it is reported once it left the socket. */
  #sendQueued(timestamp: number, atMs: number, marker: boolean): void {
    const queue = this.#options.queue;
    const item = queue.shift();
    if (item?.kind !== 'frame') return;
    const waitedMs = item.pacedAtMs >= 0 ? atMs - item.pacedAtMs : undefined;
    if (waitedMs !== undefined) this.#waitedLong = waitedMs >= this.#rephaseWaitMs ? this.#waitedLong + 1 : 0;
    if (marker) this.#options.lag.talkspurt();
    else this.#options.lag.sent(waitedMs, queue.frameCount);
    const marks = this.#takeLeadingMarks();
    const onSent = marks.length > 0 ? () => this.#options.onMarksPlayed(marks) : undefined;
    this.#sendFrame(item.samples, timestamp, atMs, true, marker, onSent);
    queue.recycle(item.samples);
  }

  #sendFrame(
    samples: Int16Array,
    timestamp: number,
    atMs: number,
    speech: boolean,
    marker = false,
    onSent?: () => void,
  ): void {
    const sent = this.#options.rtp.sendFrame(samples, timestamp, onSent, marker);
    this.#lastTimestamp = timestamp;
    this.#speaking = speech;
    if (sent && speech) this.#options.recorder?.agent(sent, atMs);
  }

  #reportLeadingMarks(): void {
    const marks = this.#takeLeadingMarks();
    if (marks.length > 0) this.#options.onMarksPlayed(marks);
  }

  /** No marks (nearly every packet) is one shared empty array, not a new one per send. */
  #takeLeadingMarks(): readonly string[] {
    const queue = this.#options.queue;
    if (queue.peek()?.kind !== 'mark') return NO_MARKS;
    const names: string[] = [];
    for (let item = queue.peek(); item?.kind === 'mark'; item = queue.peek()) {
      queue.shift();
      names.push(item.name);
    }
    return names;
  }
}
