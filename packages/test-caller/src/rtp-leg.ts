import { createSocket, type Socket } from 'node:dgram';
import {
  RTP_HEADER_BYTES,
  decoderFor,
  encoderFor,
  isRtcp,
  parseRtp,
  writeRtpHeader,
  type G711Codec,
} from '@voicebridge/rtp';

const FRAME_SAMPLES = 160; // 20 ms at 8 kHz
const FRAME_MS = 20;
/** A frame louder than this (RMS of 16-bit samples, about −40 dBFS) counts as the agent speaking. */
const VOICE_RMS = 330;

/**
 * The caller's media: one UDP socket that sends G.711 every 20 ms on an absolute schedule (the
 * question when queued, else silence, as a phone keeps sending) and tells when the far end's audio
 * is voice. Owns its socket and timer; close() is idempotent.
 */
export class RtpLeg {
  readonly #socket: Socket;
  #timer: NodeJS.Timeout | undefined;
  #remote: { address: string; port: number; codec: G711Codec; payloadType: number } | undefined;
  #queued: Int16Array = new Int16Array(0);
  #seq = Math.floor(Math.random() * 0x10000);
  #timestamp = Math.floor(Math.random() * 0x1_0000_0000);
  readonly #ssrc = Math.floor(Math.random() * 0x1_0000_0000);
  #closed = false;
  /** Wall-clock ms of the last voiced frame received, and whether any arrived. */
  lastVoiceAtMs: number | undefined;
  packetsReceived = 0;
  /** Called for each frame received: voiced or not. */
  onFrame: ((voiced: boolean) => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (data) => this.#receive(data));
    // A peer's ICMP unreachable surfaces here; the call goes on (signaling decides its end).
    socket.on('error', () => undefined);
  }

  static async open(address: string): Promise<RtpLeg> {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new RtpLeg(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Starts sending to the answerer's address with the codec its answer chose. */
  start(remote: { address: string; port: number; codec: G711Codec; payloadType: number }): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#remote = remote;
    const startedAt = performance.now();
    let sent = 0;
    const encode = encoderFor(remote.codec);
    const tick = (): void => {
      if (this.#closed) return;
      // Catch up after a stall rather than drift: the schedule is absolute.
      const due = Math.floor((performance.now() - startedAt) / FRAME_MS) + 1;
      for (; sent < due; sent++) this.#sendFrame(encode);
      this.#timer = setTimeout(tick, startedAt + sent * FRAME_MS - performance.now());
    };
    tick();
  }

  /** Queues audio to say (8 kHz PCM); resolves with the time it has all been sent. */
  say(pcm: Int16Array): Promise<void> {
    this.#queued = pcm;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#queued.length === 0 || this.#closed) resolve();
        else setTimeout(check, FRAME_MS);
      };
      check();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket.close();
  }

  #sendFrame(encode: (pcm: Int16Array, out: Uint8Array) => void): void {
    const remote = this.#remote;
    if (remote === undefined) return;
    const pcm = new Int16Array(FRAME_SAMPLES);
    const take = Math.min(FRAME_SAMPLES, this.#queued.length);
    pcm.set(this.#queued.subarray(0, take));
    this.#queued = this.#queued.subarray(take);
    const packet = new Uint8Array(RTP_HEADER_BYTES + FRAME_SAMPLES);
    writeRtpHeader(packet, 0, {
      payloadType: remote.payloadType,
      sequenceNumber: this.#seq,
      timestamp: this.#timestamp,
      ssrc: this.#ssrc,
      marker: false,
    });
    encode(pcm, packet.subarray(RTP_HEADER_BYTES));
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + FRAME_SAMPLES) >>> 0;
    this.#socket.send(packet, remote.port, remote.address);
  }

  #receive(data: Buffer): void {
    const remote = this.#remote;
    if (remote === undefined || isRtcp(data)) return;
    const packet = parseRtp(data);
    if (packet === undefined || packet.payloadType !== remote.payloadType) return;
    this.packetsReceived++;
    const payload = data.subarray(packet.payloadOffset, packet.payloadOffset + packet.payloadLength);
    const pcm = new Int16Array(payload.length);
    decoderFor(remote.codec)(payload, pcm);
    let sum = 0;
    for (const s of pcm) sum += s * s;
    const voiced = pcm.length > 0 && Math.sqrt(sum / pcm.length) > VOICE_RMS;
    if (voiced) this.lastVoiceAtMs = Date.now();
    this.onFrame?.(voiced);
  }
}
