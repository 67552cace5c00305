import { newCallId, type MediaEvent } from '@voicebridge/protocol';
import type { InviteServerTransaction, NonInviteServerTransaction, SipRequest, SipStackHandler } from '@voicebridge/sip';
import { Call } from './call.ts';
import type { CallDeps } from './call-deps.ts';
import { refuseRequest } from './request-checks.ts';
import { ACCEPT, ALLOW, KNOWN_METHODS } from './sip-capabilities.ts';

/** Owns the live calls: creates one per INVITE, routes media events to it, drains on shutdown. */
export class CallManager implements SipStackHandler {
  readonly #deps: CallDeps;
  readonly #calls = new Map<string, Call>();
  readonly #idle: (() => void)[] = [];
  #draining = false;

  constructor(deps: CallDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#calls.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  onInvite(tx: InviteServerTransaction): void {
    if (this.#draining) {
      this.#deps.stack.respond(tx, 503, { toTag: this.#deps.stack.generateTag(), headers: [['Retry-After', '30']] });
      return;
    }
    const call = new Call(newCallId(), tx, this.#deps, (ended) => this.#forget(ended));
    this.#calls.set(call.callId, call);
    void call.run();
  }

  onRequest(request: SipRequest, tx: NonInviteServerTransaction): void {
    const stack = this.#deps.stack;
    const refusal = refuseRequest(request);
    if (refusal) {
      stack.respond(tx, refusal.status, { headers: refusal.headers });
      return;
    }
    switch (request.method) {
      case 'OPTIONS':
        // RFC 3261 §11.2; 503 while draining so a load balancer stops sending us calls.
        stack.respond(tx, this.#draining ? 503 : 200, {
          headers: [
            ['Allow', ALLOW],
            ['Accept', ACCEPT],
            ['Supported', ''],
          ],
        });
        return;
      case 'BYE':
        stack.respond(tx, 481, { reason: 'Call/Transaction Does Not Exist' }); // §15.1.2
        return;
      default:
        stack.respond(tx, KNOWN_METHODS.has(request.method) ? 405 : 501, { headers: [['Allow', ALLOW]] });
    }
  }

  /** The media worker went away: every call's audio is gone with it, so each gets a BYE (`media-lost`). */
  onMediaLost(): void {
    for (const call of this.#calls.values()) void call.hangup('bridge', 'media-lost');
  }

  onMediaEvent(event: MediaEvent): void {
    if (event.event !== 'hangup') return;
    void this.#calls.get(event.callId)?.hangup(event.by, event.reason);
  }

  /** Refuses new calls, waits for live ones up to the deadline, then hangs up the rest with `drain`. */
  async drain(deadlineMs: number): Promise<void> {
    this.#draining = true;
    if (this.#calls.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        this.#idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await Promise.allSettled([...this.#calls.values()].map((call) => call.hangup('bridge', 'drain')));
  }

  /** Ends every call without SIP traffic (the parent is going away). */
  async close(): Promise<void> {
    this.#draining = true;
    await Promise.allSettled([...this.#calls.values()].map((call) => call.close('drain')));
  }

  #forget(call: Call): void {
    this.#calls.delete(call.callId);
    if (this.#calls.size === 0) for (const idle of this.#idle.splice(0)) idle();
  }
}
