import { createSocket, type Socket } from 'node:dgram';
import { MediaClock, parseRtp, pcmaDecode, pcmuEncode, writeRtpHeader, type ClockSlot } from '@voicebridge/rtp';
import { epochMicros, readStamp, SampleBuffer, sinceStampMs, writeStamp } from './bench-stats.ts';

interface SideCall {
  /** Sends the call's packets; receives them back too when the target echoes to the sender. */
  caller: Socket;
  /** The far end of a relay (rtpengine): where the target forwards the caller's packets. */
  callee: Socket | undefined;
  slot: ClockSlot | undefined;
  seq: number;
  timestamp: number;
  packet: Buffer;
  sent: number;
  received: number;
  /** The last stamp read, so a frame the target repeats (concealment) is not counted twice. */
  lastStamp: number;
  lastArrivalUs: number;
}

export interface SideStats {
  /** Stamped packets sent since the reset. */
  sent: number;
  /** Of those, distinct ones that came back (to the caller or the callee socket). */
  received: number;
  /** Generator send stamp → the packet back at a generator socket, ms. */
  roundTrips: Float64Array;
  /** |gap between consecutive arrivals on a call − 20 ms|, ms. */
  interArrival: Float64Array;
}

const PERIOD_MS = 20;
const STAMP_BYTES = 9;

/**
 * The side-by-side benchmark's callers, one for every target: per call one UDP socket on loopback
 * sending 20 ms PCMU (50 packets/s) from a shared clock with the calls spread over the period, each
 * payload stamped with its send time (bench-stats.ts writeStamp); and, for a relay, a second socket
 * per call as the far end. Whatever comes back is read the same way for every target: the stamp (from
 * PCMU, or from PCMA after a transcoding relay: the stamp's codes survive μ-law → A-law → μ-law), the
 * time since it (round trip), and the gap since the call's previous packet (inter-arrival deviation).
 */
export class SideGenerator {
  readonly #calls: SideCall[] = [];
  readonly #clock = new MediaClock();
  #roundTrips = new SampleBuffer();
  #interArrival = new SampleBuffer();
  #sending = false;
  #measuring = false;
  #resetAtUs = 0;
  readonly #pcm = new Int16Array(STAMP_BYTES);
  readonly #codes = new Uint8Array(STAMP_BYTES);

  /** Opens `count` calls; with `withCallee` a far-end socket each too. Returns their ports. */
  async open(count: number, withCallee: boolean): Promise<{ callerPorts: number[]; calleePorts: number[] }> {
    for (let i = 0; i < count; i++) {
      const call: SideCall = {
        caller: await bound(),
        callee: withCallee ? await bound() : undefined,
        slot: undefined,
        seq: 0,
        timestamp: 0,
        packet: Buffer.alloc(12 + 160, 0xff),
        sent: 0,
        received: 0,
        lastStamp: -1,
        lastArrivalUs: 0,
      };
      call.caller.on('message', (message) => this.#onPacket(call, message));
      call.callee?.on('message', (message) => this.#onPacket(call, message));
      this.#calls.push(call);
    }
    return {
      callerPorts: this.#calls.map((c) => c.caller.address().port),
      calleePorts: this.#calls.map((c) => c.callee?.address().port ?? 0),
    };
  }

  /** Connects each caller to its port at the target (no per-packet address lookup here) and starts sending. */
  async start(targetPorts: number[]): Promise<void> {
    if (targetPorts.length !== this.#calls.length)
      throw new Error(`${targetPorts.length} target ports for ${this.#calls.length} calls`);
    await Promise.all(
      this.#calls.map(
        (call, i) =>
          new Promise<void>((resolve) => call.caller.connect(targetPorts[i] as number, '127.0.0.1', resolve)),
      ),
    );
    this.#sending = true;
    this.#calls.forEach((call, i) => {
      call.slot = this.#clock.add(PERIOD_MS, () => this.#send(call, i));
    });
  }

  /** Starts counting afresh (after the warm-up). */
  reset(): void {
    this.#roundTrips = new SampleBuffer();
    this.#interArrival = new SampleBuffer();
    this.#resetAtUs = epochMicros();
    this.#measuring = true;
    for (const call of this.#calls) {
      call.sent = 0;
      call.received = 0;
      call.lastArrivalUs = 0;
    }
  }

  /** Stops sending; what is still on its way is counted until `stats()`. */
  stopSending(): void {
    this.#sending = false;
    for (const call of this.#calls) call.slot?.remove();
  }

  /** Every local port of the generator's sockets (to read their kernel receive drops). */
  get ports(): number[] {
    return this.#calls.flatMap((c) => [c.caller.address().port, ...(c.callee ? [c.callee.address().port] : [])]);
  }

  /** Packets of this measurement received so far (to wait for the last ones in flight). */
  get received(): number {
    let received = 0;
    for (const call of this.#calls) received += call.received;
    return received;
  }

  stats(): SideStats {
    this.#measuring = false;
    let sent = 0;
    let received = 0;
    for (const call of this.#calls) {
      sent += call.sent;
      received += call.received;
    }
    return {
      sent,
      received,
      roundTrips: this.#roundTrips.toFloat64Array(),
      interArrival: this.#interArrival.toFloat64Array(),
    };
  }

  close(): void {
    this.#sending = false;
    this.#clock.close();
    for (const call of this.#calls) {
      call.caller.close();
      call.callee?.close();
    }
    this.#calls.length = 0;
  }

  #send(call: SideCall, index: number): void {
    if (!this.#sending) return;
    call.seq = (call.seq + 1) & 0xffff;
    call.timestamp = (call.timestamp + 160) >>> 0;
    writeRtpHeader(call.packet, 0, {
      marker: false,
      payloadType: 0,
      sequenceNumber: call.seq,
      timestamp: call.timestamp,
      ssrc: 0x20000 + index,
    });
    writeStamp(call.packet.subarray(12), epochMicros());
    call.caller.send(call.packet);
    if (this.#measuring) call.sent++;
  }

  #onPacket(call: SideCall, message: Buffer): void {
    if (!this.#measuring) return;
    const rtp = parseRtp(message);
    if (!rtp || (rtp.payloadType !== 0 && rtp.payloadType !== 8)) return;
    const nowUs = epochMicros();
    const payload = message.subarray(rtp.payloadOffset);
    if (payload.length < STAMP_BYTES) return;
    let stamp: number;
    if (rtp.payloadType === 0) {
      stamp = readStamp(payload);
    } else {
      pcmaDecode(payload.subarray(0, STAMP_BYTES), this.#pcm);
      pcmuEncode(this.#pcm, this.#codes);
      stamp = readStamp(this.#codes);
    }
    if (stamp < 0 || stamp === call.lastStamp) return;
    call.lastStamp = stamp;
    const ageMs = sinceStampMs(stamp, nowUs);
    // Sent before the reset (the warm-up's stragglers): not this measurement's.
    if (ageMs * 1000 > nowUs - this.#resetAtUs) return;
    call.received++;
    this.#roundTrips.push(ageMs);
    if (call.lastArrivalUs > 0) this.#interArrival.push(Math.abs((nowUs - call.lastArrivalUs) / 1000 - PERIOD_MS));
    call.lastArrivalUs = nowUs;
  }
}

async function bound(): Promise<Socket> {
  const socket = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}
