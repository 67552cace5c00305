import type { SipRequest, SipResponse } from '../messages/index.ts';
import { timer64, type Endpoint, type SipTimerValues } from '../core/timers.ts';
import type { ClientOutcome, ClientTransactionHost } from './non-invite-client-transaction.ts';

export interface InviteClientHost extends ClientTransactionHost {
  /** The ACK for a 300-699 (RFC 3261 §17.1.1.3: same branch, sent by the transaction). */
  ackFor(response: SipResponse): SipRequest;
  /** A 2xx (the first or a retransmission): the TU ACKs it end to end (§13.2.2.4). */
  onSuccess(response: SipResponse): void;
  /** Every 1xx, for a TU that shows progress (early dialogs, early media, when CANCEL may go). */
  onProvisional?(response: SipResponse): void;
  /**
   * RFC 3261 §17.1.1.2: Timer B runs in Calling only, so a call that rings ends by the TU's CANCEL.
   * Off (the default, for our re-INVITEs) Timer B also bounds Proceeding: a peer that answers a
   * session refresh with 100 and nothing else must not hold it for ever.
   */
  timerBCallingOnly?: boolean;
}

export enum InviteClientState {
  Calling = 'calling',
  Proceeding = 'proceeding',
  Accepted = 'accepted',
  Completed = 'completed',
  Terminated = 'terminated',
}

/**
 * INVITE client transaction, RFC 3261 §17.1.1 as updated by RFC 6026 §8.4 — used for our outbound
 * calls (UacInvite) and our in-dialog re-INVITE (a session refresh to a peer that does not allow UPDATE).
 *
 *   Calling ── Timer A: resend at T1, 2·T1 … (UDP) ── 1xx ──► Proceeding
 *      │ Timer B (64·T1): timeout                             │
 *      ├──────────── 2xx ──► Accepted (each 2xx to the TU to ACK; Timer M = 64·T1) ──► Terminated
 *      └──────────── 300-699 ──► Completed (ACK sent, resent per retransmission; Timer D 32 s UDP) ──► Terminated
 */
export class InviteClientTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly destination: Endpoint;
  readonly outcome: Promise<ClientOutcome>;
  #state = InviteClientState.Calling;
  #resolve!: (outcome: ClientOutcome) => void;
  #ack: SipRequest | undefined;
  #timerA: NodeJS.Timeout | undefined;
  #timerB: NodeJS.Timeout | undefined;
  #timerEnd: NodeJS.Timeout | undefined;
  #intervalA: number;
  readonly #host: InviteClientHost;
  readonly #timers: SipTimerValues;

  constructor(key: string, request: SipRequest, destination: Endpoint, host: InviteClientHost, timers: SipTimerValues) {
    this.key = key;
    this.request = request;
    this.destination = destination;
    this.#host = host;
    this.#timers = timers;
    this.#intervalA = timers.T1;
    this.outcome = new Promise((resolve) => (this.#resolve = resolve));
  }

  get state(): InviteClientState {
    return this.#state;
  }

  start(): void {
    this.#host.sendRequest(this.request, this.destination);
    if (this.destination.transport === 'udp') this.#scheduleA();
    this.#timerB = setTimeout(() => this.close(), timer64(this.#timers));
  }

  receiveResponse(response: SipResponse): void {
    const state = this.#state;
    if (state === InviteClientState.Terminated) return;
    if (response.status < 200) {
      if (state === InviteClientState.Calling) this.#state = InviteClientState.Proceeding;
      this.#stopA();
      if (this.#host.timerBCallingOnly) {
        clearTimeout(this.#timerB);
        this.#timerB = undefined;
      }
      if (state === InviteClientState.Calling || state === InviteClientState.Proceeding)
        this.#host.onProvisional?.(response);
      return;
    }
    if (response.status < 300) {
      if (state === InviteClientState.Completed) return;
      this.#host.onSuccess(response); // every 2xx copy is ACKed by the TU (RFC 6026 §8.4)
      if (state === InviteClientState.Accepted) return;
      this.#enter(InviteClientState.Accepted, timer64(this.#timers));
      this.#resolve({ kind: 'response', response });
      return;
    }
    if (state === InviteClientState.Accepted) return;
    this.#ack ??= this.#host.ackFor(response);
    this.#host.sendRequest(this.#ack, this.destination);
    if (state === InviteClientState.Completed) return;
    this.#enter(InviteClientState.Completed, this.destination.transport === 'udp' ? 32_000 : 0);
    this.#resolve({ kind: 'response', response });
  }

  /** Ends the transaction at once; an unresolved outcome resolves as a timeout. */
  close(): void {
    if (this.#state === InviteClientState.Terminated) return;
    this.#state = InviteClientState.Terminated;
    this.#stopA();
    clearTimeout(this.#timerB);
    clearTimeout(this.#timerEnd);
    this.#timerB = this.#timerEnd = undefined;
    this.#resolve({ kind: 'timeout' });
    this.#host.terminated(this.key);
  }

  #enter(state: InviteClientState, lingerMs: number): void {
    this.#state = state;
    this.#stopA();
    clearTimeout(this.#timerB);
    this.#timerB = undefined;
    this.#timerEnd = setTimeout(() => this.close(), lingerMs);
  }

  #scheduleA(): void {
    this.#timerA = setTimeout(() => {
      if (this.#state !== InviteClientState.Calling) return;
      this.#host.sendRequest(this.request, this.destination);
      this.#intervalA *= 2; // Timer A doubles without the T2 cap (§17.1.1.2)
      this.#scheduleA();
    }, this.#intervalA);
  }

  #stopA(): void {
    clearTimeout(this.#timerA);
    this.#timerA = undefined;
  }
}
