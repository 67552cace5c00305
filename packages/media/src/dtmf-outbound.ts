import { TelephoneEventSender, type TelephoneEventPacket } from '@voicebridge/rtp';

/** Silence between two keys of one request, so a receiver sees two presses (ITU-T Q.24: ≥ 40 ms). */
const INTER_DIGIT_GAP_MS = 60;
/** Keys waiting to be sent at most; more are refused (an agent looping on `dtmf` cannot grow memory). */
const MAX_QUEUED_DIGITS = 64;

/**
 * The agent's key presses to the caller (RFC 4733 out): a queue of digits played one
 * after the other by a TelephoneEventSender on the session's send clock. While a key plays, the
 * session sends its packets instead of voice (the agent's audio stays queued: voice is paused);
 * between keys, voice (or silence) goes on for a short gap.
 */
export class DtmfOutbound {
  readonly #sender: TelephoneEventSender;
  readonly #queue: { digit: string; durationMs: number | undefined }[] = [];
  readonly #gapTicks: number;
  #gapLeft = 0;

  constructor(payloadType: number, ptimeMs: number) {
    this.#sender = new TelephoneEventSender({ payloadType, ptimeMs });
    this.#gapTicks = Math.ceil(INTER_DIGIT_GAP_MS / ptimeMs);
  }

  /** Queues each key of `digits` (validated by the channel schema); false when the queue is full. */
  enqueue(digits: string, durationMs?: number): boolean {
    if (this.#queue.length + digits.length > MAX_QUEUED_DIGITS) return false;
    for (const digit of digits) this.#queue.push({ digit, durationMs });
    return true;
  }

  /** A key is playing or waiting. */
  get busy(): boolean {
    return this.#sender.active || this.#queue.length > 0;
  }

  /**
   * This tick's telephone-event packet, its payload written at `out[offset]`, or undefined when the
   * session sends voice this tick. `timestamp` is the one this tick's voice packet would have had: a
   * new key starts there and keeps it in every packet (RFC 4733 §2.5.1.2).
   */
  next(timestamp: number, out: Uint8Array, offset: number): TelephoneEventPacket | undefined {
    if (!this.#sender.active) {
      if (this.#gapLeft > 0) {
        this.#gapLeft--;
        return undefined;
      }
      const key = this.#queue.shift();
      if (!key) return undefined;
      this.#sender.start(key.digit, timestamp, key.durationMs);
    }
    const packet = this.#sender.next(out, offset);
    if (packet?.last) this.#gapLeft = this.#gapTicks;
    return packet;
  }

  /** Barge-in: drops the keys not started; the one playing ends now with its three end packets. */
  clear(): void {
    this.#queue.length = 0;
    this.#sender.finish();
  }

  close(): void {
    this.#queue.length = 0;
    this.#sender.cancel();
  }
}
