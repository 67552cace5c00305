/**
 * Reception statistics of one RTP source, as RFC 3550 Appendix A computes them, and the RTCP
 * reports built from them: sequence tracking (A.1), expected / lost / fraction lost (A.3),
 * interarrival jitter (A.8), LSR / DLSR and the round-trip time they give (§6.4.1).
 *
 * Times are milliseconds on one caller-chosen time line per use: `arrivalMs` (packets, SRs) and
 * the `nowMs` of `reportBlock` must share one (a monotonic clock is best); the NTP timestamps of
 * our own SRs and of `roundTripMs` must share another (wall clock, so the peer's LSR echo matches).
 */
import {
  MAX_REPORT_BLOCKS,
  reportByteLength,
  sdesCnameByteLength,
  writeReceiverReport,
  writeSdesCname,
  writeSenderReport,
} from './rtcp.ts';
import type { ReportBlock, SenderInfo } from './rtcp.ts';

const RTP_SEQ_MOD = 0x10000;
/** A.1: "MAX_DROPOUT = 3000; MAX_MISORDER = 100". */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

export interface ReceptionStatsOptions {
  ssrc: number;
  /** RTP clock rate of the payload, 8000 for G.711. */
  clockRateHz: number;
}

export class ReceptionStats {
  readonly ssrc: number;
  readonly clockRateHz: number;
  #initialised = false;
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transitInit = false;
  #lastArrivalMs = 0;
  #lastTimestamp = 0;
  /** A.8 keeps jitter as a float and reports its integer part. */
  #jitterUnits = 0;
  #longestGap = 0;
  #lastSrMiddle = 0;
  #lastSrArrivalMs = 0;
  #haveSr = false;

  constructor(options: ReceptionStatsOptions) {
    if (!(options.clockRateHz > 0)) throw new RangeError(`clockRateHz must be > 0, got ${options.clockRateHz}`);
    this.ssrc = options.ssrc >>> 0;
    this.clockRateHz = options.clockRateHz;
  }

  get packetsReceived(): number {
    return this.#received;
  }

  /** A.3: "extended_max = s->cycles + s->max_seq". */
  get extendedHighestSeq(): number {
    return this.#cycles + this.#maxSeq;
  }

  /** A.3: "expected = *extended_max - s->base_seq + 1". */
  get packetsExpected(): number {
    return this.#initialised ? this.extendedHighestSeq - this.#baseSeq + 1 : 0;
  }

  /** A.3: expected − received; negative when duplicates arrived. */
  get packetsLost(): number {
    return this.packetsExpected - this.#received;
  }

  get jitterMs(): number {
    return (Math.floor(this.#jitterUnits) * 1000) / this.clockRateHz;
  }

  /** Longest time between two consecutive arrivals. */
  get longestGapMs(): number {
    return this.#longestGap;
  }

  /**
   * Counts one received packet. Returns false for a packet A.1 does not count: a jump of more than
   * MAX_DROPOUT, until a second packet confirms it as a sender restart.
   */
  onPacket(seq: number, rtpTimestamp: number, arrivalMs: number): boolean {
    seq &= 0xffff;
    if (!this.#initialised) {
      this.#initSeq(seq);
      this.#initialised = true;
    } else {
      const udelta = (seq - this.#maxSeq) & 0xffff;
      if (udelta < MAX_DROPOUT) {
        // A.1: "in order, with permissible gap"; wrapped: "count another 64K cycle".
        if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD;
        this.#maxSeq = seq;
      } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        // A.1: "the sequence number made a very large jump" — accept only two in a row.
        if (seq !== this.#badSeq) {
          this.#badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
          return false;
        }
        this.#initSeq(seq);
        this.#transitInit = false;
      }
      // else: "duplicate or reordered packet" — counted, max_seq unchanged.
    }
    this.#received++;
    this.#updateJitter(rtpTimestamp >>> 0, arrivalMs);
    return true;
  }

  /** Records an SR from this source for the LSR / DLSR of our next report block (§6.4.1). */
  onSenderReport(sender: SenderInfo, arrivalMs: number): void {
    this.#lastSrMiddle = ntpMiddle32(sender.ntpSeconds, sender.ntpFraction);
    this.#lastSrArrivalMs = arrivalMs;
    this.#haveSr = true;
  }

  /**
   * The report block for this source as of `nowMs`, and the start of a new reporting interval
   * (fraction lost is per interval, A.3).
   */
  reportBlock(nowMs: number): ReportBlock {
    const expected = this.packetsExpected;
    const expectedInterval = expected - this.#expectedPrior;
    this.#expectedPrior = expected;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    // A.3: "if (expected_interval == 0 || lost_interval <= 0) fraction = 0;
    //       else fraction = (lost_interval << 8) / expected_interval;"
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, this.packetsLost)),
      extendedHighestSeq: this.extendedHighestSeq >>> 0,
      jitter: Math.floor(this.#jitterUnits) >>> 0,
      lastSr: this.#haveSr ? this.#lastSrMiddle : 0,
      // §6.4.1: "expressed in units of 1/65536 seconds ... If no SR packet has been received yet
      // from SSRC_n, the DLSR field is set to zero."
      delaySinceLastSr: this.#haveSr
        ? Math.max(0, Math.round(((nowMs - this.#lastSrArrivalMs) * 65536) / 1000)) >>> 0
        : 0,
    };
  }

  #initSeq(seq: number): void {
    // A.1 init_seq.
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
  }

  /**
   * A.8: "D(i-1,i) = (Rj - Ri) - (Sj - Si)", "J += (1./16.) * ((double)d - J)". The difference of
   * RTP timestamps is taken as a signed 32-bit distance, so their wrap does not matter.
   */
  #updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    if (this.#transitInit) {
      const gapMs = arrivalMs - this.#lastArrivalMs;
      if (gapMs > this.#longestGap) this.#longestGap = gapMs;
      const arrivalUnits = (gapMs * this.clockRateHz) / 1000;
      const sentUnits = (rtpTimestamp - this.#lastTimestamp) | 0;
      const d = Math.abs(arrivalUnits - sentUnits);
      this.#jitterUnits += (d - this.#jitterUnits) / 16;
    }
    this.#transitInit = true;
    this.#lastArrivalMs = arrivalMs;
    this.#lastTimestamp = rtpTimestamp;
  }
}

/** NTP timestamp (RFC 3550 §4: seconds since 1900 and a 32-bit fraction) of a Unix time in ms. */
export function ntpFromUnixMs(unixMs: number): { ntpSeconds: number; ntpFraction: number } {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.floor(((unixMs - seconds * 1000) / 1000) * 2 ** 32);
  return { ntpSeconds: (seconds + NTP_UNIX_OFFSET_S) >>> 0, ntpFraction: fraction >>> 0 };
}

/** §4: "the middle 32 bits out of 64 in the NTP timestamp", the unit of LSR: 1/65536 s. */
export function ntpMiddle32(ntpSeconds: number, ntpFraction: number): number {
  return (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0;
}

/**
 * Round-trip time from a report block a peer sent about our stream, §6.4.1: "A − LSR − DLSR", all
 * in 1/65536 s, where A is when the report arrived on the NTP time line of our SRs. Undefined
 * when the peer has had no SR from us (LSR 0) or the result is negative (clocks moved).
 */
export function roundTripMs(block: ReportBlock, arrivalUnixMs: number): number | undefined {
  if (block.lastSr === 0) return undefined;
  const now = ntpFromUnixMs(arrivalUnixMs);
  const a = ntpMiddle32(now.ntpSeconds, now.ntpFraction);
  const rtt = (a - block.lastSr - block.delaySinceLastSr) | 0;
  if (rtt < 0) return undefined;
  return (rtt * 1000) / 65536;
}

export interface ReportOptions {
  /** Our SSRC (the sender of the report). */
  ssrc: number;
  /** §6.5.1 canonical name; every compound packet carries it (§6.1). */
  cname: string;
  /** Sources we receive; one report block each, at most 31. */
  sources: readonly ReceptionStats[];
  /** Now on the sources' arrival time line (for DLSR). */
  nowMs: number;
}

/** A compound RR + SDES(CNAME) for a session that has not sent RTP since the last report. */
export function buildReceiverReport(options: ReportOptions): Uint8Array {
  const reports = blocksOf(options);
  const out = new Uint8Array(reportByteLength('RR', reports.length) + sdesCnameByteLength(options.cname));
  const at = writeReceiverReport(out, 0, options.ssrc, reports);
  writeSdesCname(out, at, options.ssrc, options.cname);
  return out;
}

export interface SenderReportOptions extends ReportOptions {
  /** Wall-clock now, for the NTP timestamp the peer echoes as LSR. */
  nowUnixMs: number;
  /** RTP timestamp corresponding to `nowUnixMs` on our media clock. */
  rtpTimestamp: number;
  packetsSent: number;
  /** Payload octets sent (§6.4.1: "not including header or padding"). */
  octetsSent: number;
}

/** A compound SR + SDES(CNAME) for a session that sent RTP since the last report. */
export function buildSenderReport(options: SenderReportOptions): Uint8Array {
  const reports = blocksOf(options);
  const sender: SenderInfo = {
    ...ntpFromUnixMs(options.nowUnixMs),
    rtpTimestamp: options.rtpTimestamp >>> 0,
    packetCount: options.packetsSent >>> 0,
    octetCount: options.octetsSent >>> 0,
  };
  const out = new Uint8Array(reportByteLength('SR', reports.length) + sdesCnameByteLength(options.cname));
  const at = writeSenderReport(out, 0, options.ssrc, sender, reports);
  writeSdesCname(out, at, options.ssrc, options.cname);
  return out;
}

function blocksOf(options: ReportOptions): ReportBlock[] {
  if (options.sources.length > MAX_REPORT_BLOCKS) {
    throw new RangeError(`${options.sources.length} sources, at most ${MAX_REPORT_BLOCKS} per report`);
  }
  return options.sources.map((source) => source.reportBlock(options.nowMs));
}
