import { randomInt } from 'node:crypto';
import type { TransportAddress } from '@voicebridge/protocol';
import { writeRtpHeader } from '@voicebridge/rtp';
import type { DtmfOutbound } from './dtmf-outbound.ts';
import type { DatagramPort } from './srtp-ports.ts';

const SEND_RING = 8; // dgram may still hold a buffer after send(): rotate instead of reusing at once

export interface RtpSenderOptions {
  socket: Pick<DatagramPort, 'send'>;
  /** Samples per packet (ptime × 8). */
  frameSamples: number;
  /** Where packets go now: the latched source; undefined before the caller's packets latch one (send nothing). */
  target: () => TransportAddress | undefined;
  /** A packet left with this many payload bytes (RTCP sender counts, stats). */
  onSent: (payloadBytes: number) => void;
}

/**
 * One call's outgoing RTP stream: SSRC, sequence numbers, timestamps from a random base, a small
 * ring of send buffers. A re-INVITE/UPDATE may change its payload type, encoder and whether it
 * sends at all (RFC 3264 §5.1: recvonly/inactive, or port 0); the stream itself stays the same.
 */
export class RtpSender {
  readonly ssrc = randomInt(0, 2 ** 32);
  readonly timestampBase = randomInt(0, 2 ** 32);
  payloadType = 0;
  encode: (pcm: Int16Array, out: Uint8Array) => void = () => undefined;
  /** Whether our direction and the remote port allow sending (RFC 3264 §5.1). */
  sends = true;
  readonly #options: RtpSenderOptions;
  readonly #buffers: Buffer[];
  #index = 0;
  #sequence = randomInt(0, 2 ** 16);
  #firstPacketSent = false;

  constructor(options: RtpSenderOptions) {
    this.#options = options;
    this.#buffers = Array.from({ length: SEND_RING }, () => Buffer.alloc(12 + options.frameSamples));
  }

  /**
   * One voice packet (`marker`: it starts a talkspurt); `onSent` runs once it left the socket (or at once when we must not send).
   * Returns the encoded payload when the packet went out (for the recording), else undefined.
   */
  sendFrame(
    samples: Int16Array,
    timestamp: number,
    onSent: (() => void) | undefined,
    marker = false,
  ): Buffer | undefined {
    const buffer = this.#buffer();
    // RFC 3551 §4.1: the marker on the first packet, and on the first of each talkspurt after silence.
    this.#header(buffer, marker || !this.#firstPacketSent, this.payloadType, timestamp);
    this.#firstPacketSent = true;
    const payload = buffer.subarray(12, 12 + samples.length);
    this.encode(samples, payload);
    return this.#send(buffer, samples.length, onSent) ? payload : undefined;
  }

  /** This tick's telephone-event packet; false when the DTMF sender has none (an inter-digit gap). */
  sendEvent(dtmf: DtmfOutbound, timestamp: number): boolean {
    const buffer = this.#buffers[this.#index] as Buffer;
    const event = dtmf.next(timestamp, buffer, 12);
    if (!event) return false;
    this.#index = (this.#index + 1) % SEND_RING;
    this.#header(buffer, event.marker, event.payloadType, event.timestamp);
    this.#send(buffer, event.payloadLength, undefined);
    return true;
  }

  #buffer(): Buffer {
    const buffer = this.#buffers[this.#index] as Buffer;
    this.#index = (this.#index + 1) % SEND_RING;
    return buffer;
  }

  #header(buffer: Buffer, marker: boolean, payloadType: number, timestamp: number): void {
    this.#sequence = (this.#sequence + 1) & 0xffff;
    writeRtpHeader(buffer, 0, { marker, payloadType, sequenceNumber: this.#sequence, timestamp, ssrc: this.ssrc });
  }

  #send(buffer: Buffer, payloadBytes: number, onSent: (() => void) | undefined): boolean {
    const remote = this.#options.target();
    if (!this.sends || remote === undefined) {
      onSent?.();
      return false;
    }
    // A whole ring buffer (every voice packet) goes as it is: with an offset and length dgram makes a
    // new Buffer view of the bytes for each send.
    if (12 + payloadBytes === buffer.length) this.#options.socket.send(buffer, remote.port, remote.address, onSent);
    else this.#options.socket.send(buffer, 0, 12 + payloadBytes, remote.port, remote.address, onSent);
    this.#options.onSent(payloadBytes);
    return true;
  }
}
