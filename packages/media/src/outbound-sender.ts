import type { ClockSlot, MediaClock } from '@voicebridge/rtp';
import type { CallRecorder } from './call-recorder.ts';
import type { DtmfOutbound } from './dtmf-outbound.ts';
import type { OutboundQueue } from './outbound-queue.ts';
import type { PlayoutLag } from './playout-lag.ts';
import type { RtpSender } from './rtp-sender.ts';

const SAMPLES_PER_MS = 8;
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

  constructor(options: OutboundSenderOptions) {
    this.#options = options;
    this.#frameSamples = options.ptimeMs * SAMPLES_PER_MS;
    this.#silence = new Int16Array(this.#frameSamples);
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
      if (!rtp.sendEvent(dtmf, timestamp)) this.#sendFrame(this.#silence, timestamp, scheduledAtMs, false);
      else {
        this.#lastTimestamp = timestamp;
        this.#speaking = false;
      }
      return;
    }
    if (this.#frameReady()) this.#sendQueued(timestamp, scheduledAtMs, !this.#speaking);
    else {
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
    if (this.#talkspurt || this.#speaking || this.#startedAtMs === 0 || !this.#options.active() || dtmf?.busy) return;
    if (!this.#frameReady()) return;
    const nowMs = clock.nowMs();
    const next =
      this.#lastTimestamp === undefined ? this.timestampAt(nowMs) : (this.#lastTimestamp + this.#frameSamples) >>> 0;
    const wallClock = this.timestampAt(nowMs);
    const timestamp = ((wallClock - next) | 0) > 0 ? wallClock : next;
    this.#sendQueued(timestamp, nowMs, true);
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
    if (!this.#frameReady() || this.#lastTimestamp === undefined) {
      this.#endTalkspurt();
      return;
    }
    this.#sendQueued((this.#lastTimestamp + this.#frameSamples) >>> 0, scheduledAtMs, false);
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
    const queued = this.#options.queue.frameCount;
    if (this.#speaking || this.#talkspurt !== undefined || queued > 0) this.#options.lag.skipped(skipped, queued);
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
    if (marker) this.#options.lag.talkspurt();
    else this.#options.lag.sent(item.pacedAtMs >= 0 ? atMs - item.pacedAtMs : undefined, queue.frameCount);
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
