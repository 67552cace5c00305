import type { Logger } from 'pino';
import { maskSipMessage, SIP_TRACE_MAX_CHARS, type SipTraceEntry } from '@voicebridge/protocol';
import type { Endpoint } from '@voicebridge/sip';
import type { SipTraceRepository } from '@voicebridge/store';

export interface SipTraceRecorderOptions {
  traces: Pick<SipTraceRepository, 'append'>;
  /** Our call id for a live call's SIP Call-ID (CallManager's calls). */
  liveCallId: (sipCallId: string) => string | undefined;
  log: Logger;
  nowMs?: () => number;
}

/** Call-IDs remembered after their call left CallManager: the BYE's 200 and retransmissions come after. */
const RECENT_MAX = 10_000;

/**
 * Keeps each call's SIP messages with its record. Only messages of calls this node created are kept
 * (never a key per stray Call-ID: an unauthenticated sender must not be able to make us write).
 * A received message is kept after the SIP core handled it, so the INVITE that creates a call is
 * kept with the responses sent while handling it (100 Trying), in that order. Writes are never
 * awaited by signaling: a slow Redis delays the trace, not the call.
 */
export class SipTraceRecorder {
  readonly #options: SipTraceRecorderOptions;
  readonly #nowMs: () => number;
  /** SIP Call-ID → call id, most recently used last. */
  readonly #recent = new Map<string, string>();
  /** Messages sent while a received one is being handled: kept after it. */
  #during: { data: Buffer; to: Endpoint; atMs: number }[] | undefined;

  constructor(options: SipTraceRecorderOptions) {
    this.#options = options;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** Hands `data` to `deliver` (the SIP core), then keeps it and what was sent meanwhile. */
  received(data: Buffer, source: Endpoint, deliver: () => void): void {
    const atMs = this.#nowMs();
    const sent: { data: Buffer; to: Endpoint; atMs: number }[] = [];
    this.#during = sent;
    try {
      deliver();
    } finally {
      this.#during = undefined;
    }
    this.#keep(data, source, 'in', atMs);
    for (const s of sent) this.#keep(s.data, s.to, 'out', s.atMs);
  }

  sent(data: Buffer, to: Endpoint): void {
    if (this.#during !== undefined) this.#during.push({ data, to, atMs: this.#nowMs() });
    else this.#keep(data, to, 'out', this.#nowMs());
  }

  #keep(data: Buffer, remote: Endpoint, direction: 'in' | 'out', atMs: number): void {
    const text = data.subarray(0, SIP_TRACE_MAX_CHARS * 2).toString('utf8');
    const sipCallId = /^(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)/im.exec(text)?.[1]?.trim();
    if (sipCallId === undefined) return;
    const callId = this.#callIdOf(sipCallId);
    if (callId === undefined) return;
    const masked = maskSipMessage(text);
    const entry: SipTraceEntry = {
      atMs,
      direction,
      transport: remote.transport,
      remote: { address: remote.address.slice(0, 64), port: remote.port },
      firstLine: (/^[^\r\n]*/.exec(masked)?.[0] ?? '').slice(0, 300),
      text:
        masked.length > SIP_TRACE_MAX_CHARS
          ? `${masked.slice(0, SIP_TRACE_MAX_CHARS)}\n[cut at ${SIP_TRACE_MAX_CHARS}]`
          : masked,
    };
    this.#options.traces.append(callId, [entry]).catch((error: unknown) => {
      this.#options.log.warn({ callId, err: (error as Error).message }, 'SIP trace: message not kept');
    });
  }

  #callIdOf(sipCallId: string): string | undefined {
    const live = this.#options.liveCallId(sipCallId);
    const known = live ?? this.#recent.get(sipCallId);
    if (known === undefined) return undefined;
    this.#recent.delete(sipCallId);
    this.#recent.set(sipCallId, known);
    if (this.#recent.size > RECENT_MAX) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    return known;
  }
}
