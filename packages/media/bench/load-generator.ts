import { createSocket, type Socket } from 'node:dgram';
import { MediaClock, parseRtp, writeRtpHeader, type ClockSlot } from '@voicebridge/rtp';
import { epochMicros, readStamp, sinceStampMs, TONE_MAGIC, writeStamp } from './bench-stats.ts';

interface GeneratedCall {
  socket: Socket;
  port: number;
  remotePort: number;
  slot: ClockSlot | undefined;
  seq: number;
  timestamp: number;
  packet: Buffer;
  /** What came back from the bridge. */
  received: number;
  firstSeq: number;
  maxSeqExt: number;
  jitter: number;
  lastTransit: number | undefined;
  lastToneAtUs: number;
}

/**
 * Callers for the capacity benchmark: one UDP socket per call on loopback sending 20 ms PCMU
 * packets from a shared 1 ms clock (calls spread over the period, like a trunk's many phones), each
 * payload stamped with its send time; and receiving the bridge's stream: loss from sequence numbers,
 * RFC 3550 A.8 interarrival jitter, round trip of stamped audio, and the last marked tone packet.
 */
export class LoadGenerator {
  readonly calls: GeneratedCall[] = [];
  readonly #clock = new MediaClock();
  #roundTrips: number[] = [];
  #sending = false;

  async open(count: number): Promise<number[]> {
    for (let i = 0; i < count; i++) {
      const socket = createSocket({ type: 'udp4' });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const call: GeneratedCall = {
        socket,
        port: socket.address().port,
        remotePort: 0,
        slot: undefined,
        seq: 0,
        timestamp: 0,
        packet: Buffer.alloc(12 + 160, 0xff),
        received: 0,
        firstSeq: -1,
        maxSeqExt: 0,
        jitter: 0,
        lastTransit: undefined,
        lastToneAtUs: 0,
      };
      socket.on('message', (message) => this.#onPacket(call, message));
      this.calls.push(call);
    }
    return this.calls.map((c) => c.port);
  }

  /**
   * Connects each caller's socket to its bridge port (the generator is harness, not product: a
   * connected socket sends without the per-packet address lookup, leaving more of the box to the
   * bridge) and starts sending.
   */
  async start(remotePorts: number[]): Promise<void> {
    await Promise.all(
      this.calls.map(async (call, i) => {
        call.remotePort = remotePorts[i] as number;
        await new Promise<void>((resolve) => call.socket.connect(call.remotePort, '127.0.0.1', resolve));
      }),
    );
    this.#sending = true;
    this.calls.forEach((call, i) => {
      call.slot = this.#clock.add(20, () => this.#send(call, i));
    });
  }

  /**
   * Stops sending and goes on receiving: at the end of a measurement, so a media process past its
   * capacity can work off its backlog and answer for its report instead of falling further behind.
   */
  pauseSending(): void {
    this.#sending = false;
  }

  /** Forgets what was counted so far (after the warm-up). */
  resetCounts(): void {
    this.#roundTrips = [];
    for (const call of this.calls) {
      call.received = 0;
      call.firstSeq = -1;
      call.jitter = 0;
      call.lastTransit = undefined;
    }
  }

  stats(): { expected: number; received: number; jitterMs: number[]; roundTrips: number[] } {
    let expected = 0;
    let received = 0;
    const jitterMs: number[] = [];
    for (const call of this.calls) {
      if (call.firstSeq < 0) continue;
      expected += call.maxSeqExt - call.firstSeq + 1;
      received += call.received;
      jitterMs.push(call.jitter / 8);
    }
    return { expected, received, jitterMs, roundTrips: this.#roundTrips };
  }

  lastToneAtUs(index: number): number {
    return this.calls[index]?.lastToneAtUs ?? 0;
  }

  close(): void {
    this.#sending = false;
    this.#clock.close();
    for (const call of this.calls) call.socket.close();
    this.calls.length = 0;
  }

  #send(call: GeneratedCall, index: number): void {
    if (!this.#sending) return;
    call.seq = (call.seq + 1) & 0xffff;
    call.timestamp = (call.timestamp + 160) >>> 0;
    writeRtpHeader(call.packet, 0, {
      marker: false,
      payloadType: 0,
      sequenceNumber: call.seq,
      timestamp: call.timestamp,
      ssrc: 0x10000 + index,
    });
    writeStamp(call.packet.subarray(12), epochMicros());
    call.socket.send(call.packet);
  }

  #onPacket(call: GeneratedCall, message: Buffer): void {
    const rtp = parseRtp(message);
    if (!rtp || rtp.payloadType !== 0) return;
    const nowUs = epochMicros();
    // Extended sequence numbers (RFC 3550 A.1), simplified: packets arrive nearly in order here.
    if (call.firstSeq < 0) {
      call.firstSeq = rtp.sequenceNumber;
      call.maxSeqExt = rtp.sequenceNumber;
    } else {
      const delta = (rtp.sequenceNumber - (call.maxSeqExt & 0xffff)) & 0xffff;
      if (delta > 0 && delta < 0x8000) call.maxSeqExt += delta;
    }
    call.received++;
    // A.8: transit in timestamp units, J += (|D| − J) / 16.
    const transit = nowUs / 125 - rtp.timestamp;
    if (call.lastTransit !== undefined) call.jitter += (Math.abs(transit - call.lastTransit) - call.jitter) / 16;
    call.lastTransit = transit;
    const payload = message.subarray(rtp.payloadOffset);
    const stamp = readStamp(payload);
    if (stamp >= 0) this.#roundTrips.push(sinceStampMs(stamp, nowUs));
    else if (payload[0] === TONE_MAGIC && payload[100] === TONE_MAGIC) call.lastToneAtUs = nowUs;
  }
}
