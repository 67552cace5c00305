import { eventToDigit, TelephoneEventReceiver, type TelephoneEventPress } from '@voicebridge/rtp';
import { DtmfOnce, type DtmfVia } from './dtmf-once.ts';

/**
 * The caller's key presses to the agent: RFC 4733 telephone-events from the call's RTP and digits
 * relayed by signaling from SIP INFO, each press reported once with its duration in milliseconds.
 * Once per press in RTP: on its first end packet, or on the next press / a timeout when every end was
 * lost (TelephoneEventReceiver); once across both paths for a gateway that sends both (DtmfOnce).
 * Events that are not DTMF keys are not reported.
 */
export class DtmfInbound {
  readonly #events = new TelephoneEventReceiver();
  readonly #once = new DtmfOnce();
  readonly #samplesPerMs: number;
  readonly #report: (digit: string, durationMs: number) => void;

  constructor(sampleRateHz: number, report: (digit: string, durationMs: number) => void) {
    this.#samplesPerMs = sampleRateHz / 1000;
    this.#report = report;
  }

  /** One telephone-event packet's payload. */
  rtp(ssrc: number, timestamp: number, payload: Uint8Array, nowMs: number): void {
    for (const press of this.#events.push(ssrc, timestamp, payload, nowMs)) this.#press(press, nowMs);
  }

  /** From the session's 20 ms tick: a press whose end packets were all lost is reported after the timeout. */
  poll(nowMs: number): void {
    const lostEnd = this.#events.poll(nowMs);
    if (lostEnd) this.#press(lostEnd, nowMs);
  }

  /** A digit from a SIP INFO (application/dtmf-relay or application/dtmf). */
  info(digit: string, durationMs: number, nowMs: number): void {
    this.#digit(digit, durationMs, 'info', nowMs);
  }

  #press(press: TelephoneEventPress, nowMs: number): void {
    const digit = eventToDigit(press.event);
    if (digit) this.#digit(digit, Math.round(press.durationSamples / this.#samplesPerMs), 'rtp', nowMs);
  }

  #digit(digit: string, durationMs: number, via: DtmfVia, nowMs: number): void {
    if (this.#once.isNewPress(digit, via, nowMs)) this.#report(digit, durationMs);
  }
}
