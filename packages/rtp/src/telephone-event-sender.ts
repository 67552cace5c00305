/**
 * RFC 4733 telephone-events out: the packets of one DTMF press, produced one per
 * ptime tick of the caller's clock. Pure: no timers, no sockets; the media session calls `next()`
 * from its clock slot instead of sending a voice frame (voice is paused while an event plays), and
 * stamps the packet with its own SSRC and next sequence number (one RTP stream, RFC 3550 §5.1).
 *
 * Payload, RFC 4733 §2.3:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     event     |E|R| volume    |          duration             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A press of D samples at ptime P samples (D a multiple of P after rounding up) is sent as:
 *   - D/P − 1 update packets with durations P, 2P, …, D − P, the first with the marker bit (§2.5.1:
 *     the marker bit is set on the first packet of an event), then
 *   - three end packets (E = 1), all with the final duration D: §2.5.1.4, "The final packet for each
 *     event and for each segment SHOULD be sent a total of three times at the interval used by the
 *     source for updates".
 * Every packet carries the event's start timestamp (§2.5.1: update packets keep the timestamp
 * of the event's beginning, and the duration field grows instead).
 *
 * Update interval: one ptime, not 50 ms. The sender ticks on the shared media clock at ptime (20 ms
 * by default), on which 50 ms is not reachable; each event packet takes the place of one paused voice
 * packet, so the bandwidth is the voice stream's; and a denser update stream lets a receiver recover
 * the duration sooner when packets are lost. RFC 4733 leaves the interval to the sender.
 */
import { TELEPHONE_EVENT_BYTES } from './telephone-event.ts';

const DTMF_DIGITS = '0123456789*#ABCD';
/** The duration field is 16 bits; longer events need segments (§2.5.1.3), which we never send. */
const MAX_DURATION_SAMPLES = 0xffff;
const END_REPEATS = 3;

/** RFC 4733 §3.2 event code of a DTMF key (0–9, *, #, A–D; a–d accepted); undefined otherwise. */
export function digitToEvent(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const code = DTMF_DIGITS.indexOf(digit.toUpperCase());
  return code < 0 ? undefined : code;
}

/** Writes one 4-octet event at `offset`; returns 4. */
export function writeTelephoneEvent(
  out: Uint8Array,
  offset: number,
  event: number,
  end: boolean,
  volume: number,
  durationSamples: number,
): number {
  if (!Number.isInteger(offset) || offset < 0 || offset + TELEPHONE_EVENT_BYTES > out.length) {
    throw new RangeError(`no room for a telephone-event at offset ${offset} of ${out.length}`);
  }
  out[offset] = event & 0xff;
  // The R bit is reserved: "MUST be set to zero" by senders (§2.3).
  out[offset + 1] = (end ? 0x80 : 0) | (volume & 0x3f);
  const duration = Math.min(MAX_DURATION_SAMPLES, Math.max(0, Math.round(durationSamples)));
  out[offset + 2] = duration >> 8;
  out[offset + 3] = duration & 0xff;
  return TELEPHONE_EVENT_BYTES;
}

export interface TelephoneEventSenderOptions {
  /** The payload type negotiated for telephone-event/8000. */
  payloadType: number;
  ptimeMs: number;
  /** Default 8000 (telephone-event/8000). */
  clockRateHz?: number;
  /** Power in −dBm0, 0–63; default 10. */
  volume?: number;
  /** Tone length when `start` is not given one; default 100 ms (ITU-T Q.24 asks ≥ 40 ms). */
  durationMs?: number;
}

/** Header fields and payload length of the packet `next()` just wrote; one reused object. */
export interface TelephoneEventPacket {
  marker: boolean;
  payloadType: number;
  /** The event's start timestamp, the same in every packet of the event. */
  timestamp: number;
  /** Payload octets written (4). */
  payloadLength: number;
  end: boolean;
  /** The last packet of the event: after it the caller resumes voice. */
  last: boolean;
}

export class TelephoneEventSender {
  readonly payloadType: number;
  readonly ptimeSamples: number;
  readonly clockRateHz: number;
  readonly volume: number;
  readonly defaultDurationMs: number;
  readonly #packet: TelephoneEventPacket;
  #event = 0;
  #timestamp = 0;
  #durationSamples = 0;
  #sentSamples = 0;
  #endsSent = 0;
  #isActive = false;
  #first = false;

  constructor(options: TelephoneEventSenderOptions) {
    const clockRateHz = options.clockRateHz ?? 8000;
    if (!Number.isInteger(options.payloadType) || options.payloadType < 0 || options.payloadType > 127) {
      throw new RangeError(`payloadType must be 0–127, got ${options.payloadType}`);
    }
    const ptimeSamples = (options.ptimeMs * clockRateHz) / 1000;
    if (!Number.isInteger(ptimeSamples) || ptimeSamples <= 0) {
      throw new RangeError(`ptimeMs ${options.ptimeMs} is not a whole number of samples at ${clockRateHz} Hz`);
    }
    const volume = options.volume ?? 10;
    if (!Number.isInteger(volume) || volume < 0 || volume > 63)
      throw new RangeError(`volume must be 0–63, got ${volume}`);
    this.payloadType = options.payloadType;
    this.ptimeSamples = ptimeSamples;
    this.clockRateHz = clockRateHz;
    this.volume = volume;
    this.defaultDurationMs = options.durationMs ?? 100;
    this.#packet = {
      marker: false,
      payloadType: this.payloadType,
      timestamp: 0,
      payloadLength: 0,
      end: false,
      last: false,
    };
  }

  /** An event is being sent: the caller sends `next()` instead of voice each tick. */
  get active(): boolean {
    return this.#isActive;
  }

  /**
   * Begins a press of `digit` (or an event code 0–255) whose first packet goes out at the RTP
   * timestamp `timestamp`: the timestamp the next voice packet would have had. The duration is
   * rounded up to whole ptimes. Throws while another event is still being sent.
   */
  start(digit: string | number, timestamp: number, durationMs = this.defaultDurationMs): void {
    if (this.#isActive) throw new Error('a telephone-event is still being sent');
    const event = typeof digit === 'number' ? digit : digitToEvent(digit);
    if (event === undefined || !Number.isInteger(event) || event < 0 || event > 255) {
      throw new RangeError(`not a DTMF digit or event code: ${String(digit)}`);
    }
    const requested = Math.ceil((durationMs * this.clockRateHz) / 1000 / this.ptimeSamples) * this.ptimeSamples;
    const durationSamples = Math.max(this.ptimeSamples, requested);
    if (durationSamples > MAX_DURATION_SAMPLES) {
      throw new RangeError(`${durationMs} ms exceeds the 16-bit duration field (${MAX_DURATION_SAMPLES} samples)`);
    }
    this.#event = event;
    this.#timestamp = timestamp >>> 0;
    this.#durationSamples = durationSamples;
    this.#sentSamples = 0;
    this.#endsSent = 0;
    this.#isActive = true;
    this.#first = true;
  }

  /**
   * Ends the current event early at the duration sent so far (e.g. the agent's audio was cleared):
   * the next packets are the three end packets. No effect when idle or already ending.
   */
  finish(): void {
    if (!this.#isActive || this.#endsSent > 0) return;
    this.#durationSamples = Math.max(this.ptimeSamples, this.#sentSamples);
  }

  /** Drops the current event without end packets (the call is closing). */
  cancel(): void {
    this.#isActive = false;
  }

  /**
   * The packet for this tick: writes its 4-octet payload at `out[offset]` and returns its header
   * fields (the same object every call), or undefined when no event is active.
   */
  next(out: Uint8Array, offset = 0): TelephoneEventPacket | undefined {
    if (!this.#isActive) return undefined;
    const packet = this.#packet;
    const nextDuration = this.#sentSamples + this.ptimeSamples;
    const end = nextDuration >= this.#durationSamples;
    const duration = end ? this.#durationSamples : nextDuration;
    packet.payloadLength = writeTelephoneEvent(out, offset, this.#event, end, this.volume, duration);
    packet.marker = this.#first;
    packet.timestamp = this.#timestamp;
    packet.end = end;
    this.#first = false;
    if (end) {
      this.#sentSamples = this.#durationSamples;
      this.#endsSent++;
      packet.last = this.#endsSent === END_REPEATS;
      if (packet.last) this.#isActive = false;
    } else {
      this.#sentSamples = nextDuration;
      packet.last = false;
    }
    return packet;
  }
}
