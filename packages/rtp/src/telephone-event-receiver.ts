import { parseTelephoneEvent } from './telephone-event.ts';

/**
 * RFC 4733 telephone-events in: turns the packets of a caller's key presses into
 * one report per press. Pure: no timers; the media session calls `push` per packet and `poll` from
 * its 20 ms clock slot.
 *
 * An event is keyed by (SSRC, RTP timestamp): §2.5.1.2, every packet of one event carries the
 * event's start timestamp, and a new event gets a new one. It is reported exactly once:
 *   - on its first end packet (E bit; senders send it three times, §2.5.1.4), or
 *   - when every end packet was lost: on the first packet of the next event (§2.5.1.4 lets a
 *     receiver treat a new timestamp as the end of the previous event), or once no packet of it has
 *     arrived for `timeoutMs`.
 * Keys already reported are remembered (a small ring), so a late or reordered packet of a press
 * already reported, or its repeated end packets, never reports it again.
 */
export interface TelephoneEventPress {
  /** Event code: DTMF 0–15 (see eventToDigit); other codes name other events. */
  event: number;
  /** The longest duration seen for the press, samples at the event clock rate. */
  durationSamples: number;
  /** False when the press was reported because its end packets were lost (next event or timeout). */
  endSeen: boolean;
  ssrc: number;
  timestamp: number;
}

export interface TelephoneEventReceiverOptions {
  /** A press with no end packet is reported this long after its last packet; default 500 ms. */
  timeoutMs?: number;
  /** How many reported presses are remembered for duplicates; default 16. */
  remember?: number;
}

interface Pending {
  press: TelephoneEventPress;
  lastPacketAtMs: number;
}

export class TelephoneEventReceiver {
  readonly #timeoutMs: number;
  readonly #reported: string[] = [];
  readonly #remember: number;
  #pending: Pending | undefined;

  constructor(options: TelephoneEventReceiverOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 500;
    this.#remember = options.remember ?? 16;
  }

  /**
   * One telephone-event packet's payload. Returns the presses to report now, oldest first: none,
   * one, or two (a previous press whose end was lost, then this one if it already ended).
   */
  push(ssrc: number, timestamp: number, payload: Uint8Array, nowMs: number): TelephoneEventPress[] {
    const event = parseTelephoneEvent(payload);
    if (!event) return [];
    const key = keyOf(ssrc, timestamp);
    if (this.#reported.includes(key)) return [];
    const out: TelephoneEventPress[] = [];
    const pending = this.#pending;
    if (pending && keyOf(pending.press.ssrc, pending.press.timestamp) === key) {
      pending.press.durationSamples = Math.max(pending.press.durationSamples, event.durationSamples);
      pending.lastPacketAtMs = nowMs;
    } else {
      // A new event: the previous one ended even though no end packet of it arrived.
      if (pending) out.push(this.#report(pending.press));
      this.#pending = {
        press: {
          event: event.event,
          durationSamples: event.durationSamples,
          endSeen: false,
          ssrc: ssrc >>> 0,
          timestamp: timestamp >>> 0,
        },
        lastPacketAtMs: nowMs,
      };
    }
    if (event.end) {
      const current = this.#pending as Pending;
      current.press.endSeen = true;
      out.push(this.#report(current.press));
    }
    return out;
  }

  /** The pending press whose packets stopped `timeoutMs` ago, if any. */
  poll(nowMs: number): TelephoneEventPress | undefined {
    const pending = this.#pending;
    if (!pending || nowMs - pending.lastPacketAtMs < this.#timeoutMs) return undefined;
    return this.#report(pending.press);
  }

  /** The press still waiting for its end, if any (e.g. to report it when the call closes). */
  get pending(): TelephoneEventPress | undefined {
    return this.#pending?.press;
  }

  #report(press: TelephoneEventPress): TelephoneEventPress {
    this.#pending = undefined;
    this.#reported.push(keyOf(press.ssrc, press.timestamp));
    if (this.#reported.length > this.#remember) this.#reported.shift();
    return press;
  }
}

function keyOf(ssrc: number, timestamp: number): string {
  return `${ssrc >>> 0}:${timestamp >>> 0}`;
}
