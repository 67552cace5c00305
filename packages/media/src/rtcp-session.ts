import type { RemoteInfo } from 'node:dgram';
import type { MediaStats, TransportAddress } from '@voicebridge/protocol';
import { buildReceiverReport, buildSenderReport, parseRtcp, ReceptionStats, roundTripMs } from '@voicebridge/rtp';
import type { Logger } from 'pino';
import type { DatagramPort } from './srtp-ports.ts';

const CLOCK_RATE_HZ = 8000;
/** RFC 3550 §6.2: "The RECOMMENDED value for a fixed minimum interval is 5 seconds." */
export const RTCP_INTERVAL_MS = 5000;

export interface RtcpSessionOptions {
  socket: DatagramPort;
  /**
   * Where reports go now, given the source of the last RTCP accepted from the peer (if any);
   * undefined sends none (nothing latched yet, port 0) but still reads the peer's.
   */
  target: (heard: TransportAddress | undefined) => TransportAddress | undefined;
  ssrc: number;
  cname: string;
  intervalMs?: number;
  /** Our RTP timestamp now (on the `performance.now()` time line of the clock), for the SR. */
  rtpTimestampAt: (nowMs: number) => number;
  log: Logger;
  /** Strict latching: RTCP from any other source is dropped, as RTP is (rtp-latch.ts). Default: all. */
  acceptFrom?: (address: string) => boolean;
  random?: () => number;
}

/**
 * RTCP for one call on the odd port (RFC 3550 §6): reception statistics of the caller's stream, an
 * SR when we sent RTP since the last report else an RR, each followed by SDES CNAME (§6.1), at a
 * randomised interval driven by the session's clock slot (`tick`), never a timer of its own. The
 * peer's SR gives LSR/DLSR for our blocks; its report blocks about our SSRC give the round trip.
 *
 * Time lines: arrivals and `tick` use `performance.now()` (the clock's); NTP fields use `Date.now()`.
 */
export class RtcpSession {
  readonly #options: RtcpSessionOptions;
  readonly #intervalMs: number;
  readonly #random: () => number;
  #source: ReceptionStats | undefined;
  /** Totals of sources replaced by an SSRC change. */
  #priorReceived = 0;
  #priorLost = 0;
  #priorLongestGapMs = 0;
  #packetsSent = 0;
  #octetsSent = 0;
  #sentSinceReport = false;
  #nextReportAtMs: number | undefined;
  #roundTripMs: number | undefined;
  /** Where the peer's accepted RTCP last came from. */
  #heard: TransportAddress | undefined;
  #closed = false;

  constructor(options: RtcpSessionOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? RTCP_INTERVAL_MS;
    this.#random = options.random ?? Math.random;
    options.socket.on('message', (packet, from) => this.#onRtcp(packet, from));
  }

  /** One RTP packet from the peer, whatever its payload type (all share the sequence space). */
  onRtp(seq: number, timestamp: number, ssrc: number, arrivalMs: number): void {
    let source = this.#source;
    if (source === undefined || source.ssrc !== ssrc >>> 0) {
      if (source !== undefined) {
        this.#priorReceived += source.packetsReceived;
        this.#priorLost += source.packetsLost;
        this.#priorLongestGapMs = Math.max(this.#priorLongestGapMs, source.longestGapMs);
      }
      source = new ReceptionStats({ ssrc, clockRateHz: CLOCK_RATE_HZ });
      this.#source = source;
    }
    source.onPacket(seq, timestamp, arrivalMs);
  }

  /** One RTP packet of ours left the socket with `payloadBytes` of payload (§6.4.1 octet count). */
  onSent(payloadBytes: number): void {
    this.#packetsSent++;
    this.#octetsSent += payloadBytes;
    this.#sentSinceReport = true;
  }

  /** Called every clock period; sends a report when one is due. */
  tick(nowMs: number): void {
    if (this.#closed) return;
    if (this.#nextReportAtMs === undefined) {
      // §6.2 / A.7: the first report comes after half the minimum interval.
      this.#nextReportAtMs = nowMs + this.#jittered(this.#intervalMs / 2);
      return;
    }
    if (nowMs < this.#nextReportAtMs) return;
    this.#nextReportAtMs = nowMs + this.#jittered(this.#intervalMs);
    this.#sendReport(nowMs);
  }

  get stats(): MediaStats {
    const source = this.#source;
    const stats: MediaStats = {
      packetsSent: this.#packetsSent,
      packetsReceived: this.#priorReceived + (source?.packetsReceived ?? 0),
      packetsLost: this.#priorLost + (source?.packetsLost ?? 0),
      jitterMs: source?.jitterMs ?? 0,
      longestGapMs: Math.round(Math.max(this.#priorLongestGapMs, source?.longestGapMs ?? 0)),
    };
    if (this.#roundTripMs !== undefined) stats.roundTripMs = this.#roundTripMs;
    return stats;
  }

  /** Stops reading and reporting; sends nothing (no BYE: the port pool closes the socket). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.socket.removeAllListeners('message');
  }

  /** §6.3.1: "the interval ... multiplied by a random factor uniformly distributed between 0.5 and 1.5". */
  #jittered(ms: number): number {
    return ms * (0.5 + this.#random());
  }

  #sendReport(nowMs: number): void {
    const remote = this.#options.target(this.#heard);
    if (remote === undefined) return;
    const sources = this.#source ? [this.#source] : [];
    const common = {
      ssrc: this.#options.ssrc,
      cname: this.#options.cname,
      sources,
      nowMs,
    };
    const report = this.#sentSinceReport
      ? buildSenderReport({
          ...common,
          nowUnixMs: Date.now(),
          rtpTimestamp: this.#options.rtpTimestampAt(nowMs),
          packetsSent: this.#packetsSent,
          octetsSent: this.#octetsSent,
        })
      : buildReceiverReport(common);
    this.#sentSinceReport = false;
    this.#options.socket.send(report, remote.port, remote.address, (error) => {
      if (error) this.#options.log.debug({ err: error }, 'RTCP report not sent');
    });
  }

  #onRtcp(packet: Buffer, from: RemoteInfo): void {
    if (this.#closed) return;
    if (this.#options.acceptFrom && !this.#options.acceptFrom(from.address)) return;
    const parts = parseRtcp(packet);
    if (!parts) return;
    // Symmetric RTCP (RFC 4961): reports go back where the peer's come from (a NAT maps its port).
    this.#heard = { address: from.address, port: from.port };
    const arrivalMs = performance.now();
    for (const part of parts) {
      if (part.type === 'other') continue;
      if (part.type === 'SR' && this.#source !== undefined && part.ssrc === this.#source.ssrc) {
        this.#source.onSenderReport(part.sender, arrivalMs);
      }
      for (const block of part.reports) {
        if (block.ssrc !== this.#options.ssrc >>> 0) continue;
        const rtt = roundTripMs(block, Date.now());
        if (rtt !== undefined) this.#roundTripMs = Math.round(rtt * 10) / 10;
      }
    }
  }
}
