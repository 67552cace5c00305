import { createSocket, type Socket } from 'node:dgram';
import { MediaClock, parseRtp, writeRtpHeader, type ClockSlot } from '@voicebridge/rtp';
import {
  epochMicros,
  readStamp,
  SampleBuffer,
  sinceStampMs,
  TONE_MAGIC,
  writeStamp,
} from '../../packages/media/bench/bench-stats.ts';

const PTIME_MS = 20;
const FRAME_SAMPLES = 160;
const SILENCE = 0xff;

/** One caller's RTP leg: its socket, what it sent, and what came back. */
export interface CallerLeg {
  socket: Socket;
  port: number;
  /** The bridge's RTP port from the SIP answer; 0 until answered. */
  remotePort: number;
  answeredAtMs: number;
  /** epochMicros() when the answer came, to place lost frames on the stamps' clock. */
  answeredAtUs: number;
  slot: ClockSlot | undefined;
  seq: number;
  timestamp: number;
  packet: Buffer;
  stampedSent: number;
  /** Each stamp sent, in order, to find where a frame the bot never got was lost. */
  sentStamps: number[];
  stampedReceived: number;
  /** Each stamped frame that came back: its stamp, and when it arrived (epochMicros). */
  stamps: number[];
  stampArrivalsUs: number[];
  toneReceived: number;
  /** When the last tone frame arrived (epochMicros), 0 for none. */
  lastToneAtUs: number;
  lastSeq: number;
  lastTimestamp: number;
  lastArrivalMs: number;
  /** RFC 3550 A.8 interarrival jitter, timestamp units, over the measured window. */
  jitter: number;
  lastTransit: number | undefined;
}

/**
 * The RTP side of the connector benchmark's callers (SIPp does their signaling): one socket per call
 * on loopback, 20 ms PCMU from a shared clock (calls spread over the period), started when the call's
 * SIP answer named the bridge's port. Every payload carries its send stamp until `stopStamping`, so
 * each stamped frame can be followed to the bot and back; then silence.
 *
 * The capacity bench's LoadGenerator starts every call at once and follows round trips only; here
 * each stamped frame is counted at both ends and the packets the caller receives are timed:
 *   - pacing: for consecutive packets of one send line (next sequence number, timestamp + 160, no
 *     marker), |arrival interval − 20 ms|. A talkspurt's first packet (marker bit) is sent at once
 *     on purpose, off the call's regular 20 ms phase (outbound-sender.ts), so it starts a new line
 *     instead of counting as a pacing error;
 *   - round trip of stamped frames (caller → bridge → bot → bridge → caller);
 *   - missing packets (sequence gaps), talkspurt starts, RFC 3550 jitter;
 *   - tone frames of the bot's clear probes (first byte TONE_MAGIC, which survives the fade-out
 *     media applies to the frame it keeps on `clear`).
 */
export class BenchCallers {
  readonly legs: CallerLeg[] = [];
  readonly #byPort = new Map<number, CallerLeg>();
  readonly #clock = new MediaClock();
  #stamping = true;
  #measuring = false;
  pacing = new SampleBuffer();
  roundTrips = new SampleBuffer();
  received = 0;
  missing = 0;
  talkspurts = 0;

  async open(count: number): Promise<number[]> {
    for (let i = 0; i < count; i++) {
      const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const leg: CallerLeg = {
        socket,
        port: socket.address().port,
        remotePort: 0,
        answeredAtMs: 0,
        answeredAtUs: 0,
        slot: undefined,
        seq: i * 1000,
        timestamp: i * 100_000,
        packet: Buffer.alloc(12 + FRAME_SAMPLES, SILENCE),
        stampedSent: 0,
        sentStamps: [],
        stampedReceived: 0,
        stamps: [],
        stampArrivalsUs: [],
        toneReceived: 0,
        lastToneAtUs: 0,
        lastSeq: -1,
        lastTimestamp: 0,
        lastArrivalMs: 0,
        jitter: 0,
        lastTransit: undefined,
      };
      socket.on('message', (message) => this.#onPacket(leg, message));
      // A connected socket hears ICMP port-unreachable as an error: the bridge closed the call's port after BYE.
      socket.on('error', () => undefined);
      this.legs.push(leg);
      this.#byPort.set(leg.port, leg);
    }
    return this.legs.map((leg) => leg.port);
  }

  /** The call on `port` was answered with the bridge's RTP at `remotePort`: it starts sending. */
  answer(port: number, remotePort: number): boolean {
    const leg = this.#byPort.get(port);
    if (!leg || leg.remotePort !== 0) return false;
    leg.remotePort = remotePort;
    leg.answeredAtMs = performance.now();
    leg.answeredAtUs = epochMicros();
    leg.socket.connect(remotePort, '127.0.0.1', () => {
      leg.slot = this.#clock.add(PTIME_MS, () => this.#send(leg));
    });
    return true;
  }

  get answered(): number {
    return this.legs.filter((leg) => leg.remotePort !== 0).length;
  }

  /** Starts (and empties) or stops the window the timing figures cover. */
  measure(on: boolean): void {
    this.#measuring = on;
    if (!on) return;
    this.pacing = new SampleBuffer();
    this.roundTrips = new SampleBuffer();
    this.received = this.missing = this.talkspurts = 0;
    for (const leg of this.legs) {
      leg.jitter = 0;
      leg.lastTransit = undefined;
    }
  }

  /** From now on the callers send silence: what is still stamped is on its way. */
  stopStamping(): void {
    this.#stamping = false;
  }

  /** Each answered call's RFC 3550 jitter over the window, ms. */
  jitterMs(): number[] {
    return this.legs.filter((leg) => leg.remotePort !== 0).map((leg) => leg.jitter / 8);
  }

  close(): void {
    this.#clock.close();
    for (const leg of this.legs) leg.socket.close();
    this.legs.length = 0;
    this.#byPort.clear();
  }

  #send(leg: CallerLeg): void {
    leg.seq = (leg.seq + 1) & 0xffff;
    leg.timestamp = (leg.timestamp + FRAME_SAMPLES) >>> 0;
    writeRtpHeader(leg.packet, 0, {
      marker: false,
      payloadType: 0,
      sequenceNumber: leg.seq,
      timestamp: leg.timestamp,
      ssrc: leg.port,
    });
    const payload = leg.packet.subarray(12);
    if (this.#stamping) {
      const stamp = epochMicros();
      writeStamp(payload, stamp);
      leg.stampedSent++;
      leg.sentStamps.push(stamp >>> 0);
    } else payload.fill(SILENCE, 0, 9);
    leg.socket.send(leg.packet);
  }

  #onPacket(leg: CallerLeg, message: Buffer): void {
    const rtp = parseRtp(message);
    if (!rtp || rtp.payloadType !== 0) return;
    const nowMs = performance.now();
    const payload = message.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength);
    const stamp = readStamp(payload);
    if (stamp >= 0) {
      leg.stampedReceived++;
      leg.stamps.push(stamp);
      leg.stampArrivalsUs.push(epochMicros());
    } else if (payload[0] === TONE_MAGIC) {
      leg.toneReceived++;
      leg.lastToneAtUs = epochMicros();
    }
    if (this.#measuring) {
      this.received++;
      if (stamp >= 0) this.roundTrips.push(sinceStampMs(stamp, epochMicros()));
      if (rtp.marker) this.talkspurts++;
      if (leg.lastSeq >= 0) {
        const step = (rtp.sequenceNumber - leg.lastSeq) & 0xffff;
        if (step > 1 && step < 0x8000) this.missing += step - 1;
        if (step === 1 && !rtp.marker && ((rtp.timestamp - leg.lastTimestamp) | 0) === FRAME_SAMPLES)
          this.pacing.push(Math.abs(nowMs - leg.lastArrivalMs - PTIME_MS));
      }
      // A.8: transit in timestamp units, J += (|D| − J) / 16.
      const transit = nowMs * 8 - rtp.timestamp;
      if (leg.lastTransit !== undefined) leg.jitter += (Math.abs(transit - leg.lastTransit) - leg.jitter) / 16;
      leg.lastTransit = transit;
    }
    leg.lastSeq = rtp.sequenceNumber;
    leg.lastTimestamp = rtp.timestamp;
    leg.lastArrivalMs = nowMs;
  }
}
