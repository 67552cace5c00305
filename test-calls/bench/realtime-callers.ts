import { createSocket, type Socket } from 'node:dgram';
import { MediaClock, parseRtp, writeRtpHeader, type ClockSlot } from '@voicebridge/rtp';
import { SampleBuffer } from '../../packages/media/bench/bench-stats.ts';
import { fillQuiet, monoMicros, readStamp, stampId, writeStamp } from './realtime-stamp.ts';

const PTIME_MS = 20;
const FRAME_SAMPLES = 160;

interface Leg {
  index: number;
  socket: Socket;
  port: number;
  /** The bridge's RTP port from the SIP answer; 0 until answered. */
  remotePort: number;
  answeredAtMs: number;
  slot: ClockSlot | undefined;
  seq: number;
  timestamp: number;
  frames: number;
  packet: Buffer;
}

/**
 * The RTP side of the realtime bench's callers (SIPp does their signaling): one socket per call on
 * loopback, 20 ms PCMU from one shared clock (calls spread over the period), started when the call's
 * answer named the bridge's port. Every frame carries a quiet stamp (realtime-stamp.ts: call index,
 * frame number); while recording, each stamped frame sent and each stamped packet received (the
 * model's audio, stamped by the model) is noted with its monotonic µs.
 */
export class RealtimeCallers {
  readonly #legs: Leg[] = [];
  readonly #byPort = new Map<number, Leg>();
  readonly #clock = new MediaClock();
  #recording = false;
  sent = { ids: new SampleBuffer(), atUs: new SampleBuffer() };
  received = { ids: new SampleBuffer(), atUs: new SampleBuffer() };
  /** RTP packets from the bridge while recording, stamped or not. */
  packets = 0;

  async open(count: number): Promise<number[]> {
    for (let index = 0; index < count; index++) {
      const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const packet = Buffer.alloc(12 + FRAME_SAMPLES);
      fillQuiet(packet.subarray(12));
      const leg: Leg = {
        index,
        socket,
        port: socket.address().port,
        remotePort: 0,
        answeredAtMs: 0,
        slot: undefined,
        seq: index * 1000,
        timestamp: index * 100_000,
        frames: 0,
        packet,
      };
      socket.on('message', (message) => this.#onPacket(message));
      // A connected socket hears ICMP port-unreachable as an error: the bridge closed the call's port after BYE.
      socket.on('error', () => undefined);
      this.#legs.push(leg);
      this.#byPort.set(leg.port, leg);
    }
    return this.#legs.map((leg) => leg.port);
  }

  /** The call on `port` was answered with the bridge's RTP at `remotePort`: it starts sending. */
  answer(port: number, remotePort: number): void {
    const leg = this.#byPort.get(port);
    if (!leg || leg.remotePort !== 0) return;
    leg.remotePort = remotePort;
    leg.answeredAtMs = performance.now();
    leg.socket.connect(remotePort, '127.0.0.1', () => {
      leg.slot = this.#clock.add(PTIME_MS, () => this.#send(leg));
    });
  }

  get answered(): number {
    return this.#legs.filter((leg) => leg.remotePort !== 0).length;
  }

  get firstAnswerMs(): number {
    return Math.min(...this.#legs.filter((leg) => leg.answeredAtMs > 0).map((leg) => leg.answeredAtMs));
  }

  /** Starts (emptying what was noted) or stops noting stamped frames. */
  record(on: boolean): void {
    this.#recording = on;
    if (!on) return;
    this.sent = { ids: new SampleBuffer(), atUs: new SampleBuffer() };
    this.received = { ids: new SampleBuffer(), atUs: new SampleBuffer() };
    this.packets = 0;
  }

  close(): void {
    this.#clock.close();
    for (const leg of this.#legs) leg.socket.close();
    this.#legs.length = 0;
    this.#byPort.clear();
  }

  #send(leg: Leg): void {
    leg.seq = (leg.seq + 1) & 0xffff;
    leg.timestamp = (leg.timestamp + FRAME_SAMPLES) >>> 0;
    writeRtpHeader(leg.packet, 0, {
      marker: false,
      payloadType: 0,
      sequenceNumber: leg.seq,
      timestamp: leg.timestamp,
      ssrc: leg.port,
    });
    const id = stampId(leg.index, leg.frames++);
    writeStamp(leg.packet, id, 12);
    if (this.#recording) {
      this.sent.ids.push(id);
      this.sent.atUs.push(monoMicros());
    }
    leg.socket.send(leg.packet);
  }

  #onPacket(message: Buffer): void {
    if (!this.#recording) return;
    const atUs = monoMicros();
    const rtp = parseRtp(message);
    if (!rtp || rtp.payloadType !== 0) return;
    this.packets++;
    const id = readStamp(message, rtp.payloadOffset);
    if (id < 0) return;
    this.received.ids.push(id);
    this.received.atUs.push(atUs);
  }
}
