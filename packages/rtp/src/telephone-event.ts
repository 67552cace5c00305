/**
 * RFC 4733 §2.3 telephone-event payload (DTMF and other named events):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     event     |E|R| volume    |          duration             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * One event per 4 octets. RFC 4733 also lets a sender pack several consecutive events into one
 * packet, 4 octets each, which `offset` (a multiple of 4) reaches.
 */

export const TELEPHONE_EVENT_BYTES = 4;

export interface TelephoneEvent {
  /** Event code (DTMF: 0–9, 10 = *, 11 = #, 12–15 = A–D; other codes name other events). */
  event: number;
  /** E bit: the event has ended (senders repeat the end packet, so expect it up to three times). */
  end: boolean;
  /** Power level of the tone in −dBm0, 0–63. */
  volume: number;
  /** Duration so far in RTP timestamp units (samples at 8 kHz) since the event's timestamp. */
  durationSamples: number;
}

/**
 * Parses the event at `offset` in a telephone-event payload; undefined when fewer than 4 octets
 * remain there or `offset` is not a non-negative integer.
 */
export function parseTelephoneEvent(payload: Uint8Array, offset = 0): TelephoneEvent | undefined {
  if (!Number.isInteger(offset) || offset < 0 || payload.length - offset < TELEPHONE_EVENT_BYTES) {
    return undefined;
  }
  const flags = payload[offset + 1] as number;
  return {
    event: payload[offset] as number,
    end: (flags & 0x80) !== 0,
    // The R bit (0x40) is reserved: receivers ignore it.
    volume: flags & 0x3f,
    durationSamples: ((payload[offset + 2] as number) << 8) | (payload[offset + 3] as number),
  };
}

const DTMF_DIGITS = '0123456789*#ABCD';

/** RFC 4733 DTMF events 0–15 as the key they stand for; undefined for any other code. */
export function eventToDigit(event: number): string | undefined {
  if (!Number.isInteger(event) || event < 0 || event >= DTMF_DIGITS.length) return undefined;
  return DTMF_DIGITS[event];
}
