import type { Endpoint } from '@voicebridge/sip';

/** Requests kept while start() finishes after binding; UDP peers retransmit anything beyond. */
const EARLY_MESSAGES_MAX = 1000;

/**
 * SIP requests that arrive between binding the transports and the end of the service's start(): held (bounded) and
 * handed over in order once start() is done, so no request meets a half-started service. Responses are never held:
 * they answer the orphan BYEs sent during start.
 */
export class EarlyMessages {
  #held: [Buffer, Endpoint][] | undefined = [];

  /** True when the message was taken (held, or dropped over the bound) and must not be handled now. */
  hold(data: Buffer, source: Endpoint): boolean {
    if (this.#held === undefined || data.subarray(0, 8).toString('latin1') === 'SIP/2.0 ') return false;
    if (this.#held.length < EARLY_MESSAGES_MAX) this.#held.push([data, source]);
    return true;
  }

  /** Holds nothing from now on; what was held goes to `handle`, in arrival order (none after `discard`). */
  release(handle: (data: Buffer, source: Endpoint) => void): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const [data, source] of held) handle(data, source);
  }

  /** Holds nothing from now on and drops what was held (the service is closing). */
  discard(): void {
    this.#held = undefined;
  }
}
