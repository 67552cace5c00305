import type { SipRequest, SipResponse } from '../messages/index.ts';
import { timer64, type Endpoint, type SipTimerValues } from '../core/timers.ts';
import type { ServerTransaction, TransactionHost } from './server-transaction.ts';

/**
 * INVITE server transaction, RFC 3261 §17.2.1 as updated by RFC 6026 §7.1.
 *
 *                 INVITE (100 Trying sent by the stack)
 *                    │
 *                    ▼
 *               Proceeding ── 1xx ──► (resent on retransmitted INVITE)
 *              │          │
 *      300-699 │          │ 2xx (RFC 6026: the transaction no longer ends on 2xx)
 *              ▼          ▼
 *        Completed      Accepted ── retransmitted INVITE absorbed; the UAS core (dialog)
 *        │ Timer G      │            retransmits the 2xx itself until ACK
 *        │ resend final │ Timer L (64·T1)
 *        │ ACK          ▼
 *        ▼          Terminated
 *     Confirmed ── Timer I (T4 on UDP) ──► Terminated
 *        Timer H (64·T1) without ACK ──► Terminated
 */
export enum InviteServerState {
  Proceeding = 'proceeding',
  Completed = 'completed',
  Confirmed = 'confirmed',
  Accepted = 'accepted',
  Terminated = 'terminated',
}

export class InviteServerTransaction implements ServerTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly source: Endpoint;
  /** Set by the transaction user: called once when a CANCEL matched this INVITE before a final response. */
  onCancel: (() => void) | undefined;
  #state = InviteServerState.Proceeding;
  #lastResponse: SipResponse | undefined;
  #cancelled = false;
  #timerG: NodeJS.Timeout | undefined;
  #timerH: NodeJS.Timeout | undefined;
  #timerI: NodeJS.Timeout | undefined;
  #timerL: NodeJS.Timeout | undefined;
  #intervalG: number;
  readonly #host: TransactionHost;
  readonly #timers: SipTimerValues;

  constructor(key: string, request: SipRequest, source: Endpoint, host: TransactionHost, timers: SipTimerValues) {
    this.key = key;
    this.request = request;
    this.source = source;
    this.#host = host;
    this.#timers = timers;
    this.#intervalG = timers.T1;
  }

  get state(): InviteServerState {
    return this.#state;
  }

  /** True once a final response went out (a CANCEL after that changes nothing, RFC 3261 §9.2). */
  get finalSent(): boolean {
    return this.#state !== InviteServerState.Proceeding;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  receiveRetransmission(): void {
    if (this.#state === InviteServerState.Proceeding || this.#state === InviteServerState.Completed) {
      if (this.#lastResponse) this.#host.sendResponse(this.#lastResponse, this.source);
    }
    // Accepted: RFC 6026 §7.1 — absorbed; Confirmed: absorbed.
  }

  /** A CANCEL matched (RFC 3261 §9.2). Returns whether it still had an effect. */
  cancel(): boolean {
    if (this.#state !== InviteServerState.Proceeding || this.#cancelled) return false;
    this.#cancelled = true;
    this.onCancel?.();
    return true;
  }

  receiveAck(): void {
    if (this.#state !== InviteServerState.Completed) return;
    this.#transition(InviteServerState.Confirmed);
    this.#clearRetransmit();
    clearTimeout(this.#timerH);
    this.#timerH = undefined;
    const wait = this.source.transport === 'udp' ? this.#timers.T4 : 0;
    this.#timerI = setTimeout(() => this.close(), wait);
  }

  respond(response: SipResponse): void {
    if (this.#state !== InviteServerState.Proceeding) return;
    this.#lastResponse = response;
    this.#host.sendResponse(response, this.source);
    if (response.status < 200) return;
    if (response.status < 300) {
      this.#transition(InviteServerState.Accepted);
      this.#timerL = setTimeout(() => this.close(), timer64(this.#timers));
      return;
    }
    this.#transition(InviteServerState.Completed);
    if (this.source.transport === 'udp') this.#scheduleG();
    this.#timerH = setTimeout(() => this.close(), timer64(this.#timers));
  }

  close(): void {
    if (this.#state === InviteServerState.Terminated) return;
    this.#state = InviteServerState.Terminated;
    this.#clearRetransmit();
    for (const t of [this.#timerH, this.#timerI, this.#timerL]) clearTimeout(t);
    this.#timerH = this.#timerI = this.#timerL = undefined;
    this.onCancel = undefined;
    this.#host.terminated(this.key);
  }

  #scheduleG(): void {
    this.#timerG = setTimeout(() => {
      if (this.#state !== InviteServerState.Completed || !this.#lastResponse) return;
      this.#host.sendResponse(this.#lastResponse, this.source);
      this.#intervalG = Math.min(2 * this.#intervalG, this.#timers.T2);
      this.#scheduleG();
    }, this.#intervalG);
  }

  #clearRetransmit(): void {
    clearTimeout(this.#timerG);
    this.#timerG = undefined;
  }

  #transition(next: InviteServerState): void {
    const allowed: Record<InviteServerState, InviteServerState[]> = {
      [InviteServerState.Proceeding]: [InviteServerState.Completed, InviteServerState.Accepted],
      [InviteServerState.Completed]: [InviteServerState.Confirmed],
      [InviteServerState.Confirmed]: [],
      [InviteServerState.Accepted]: [],
      [InviteServerState.Terminated]: [],
    };
    if (!allowed[this.#state].includes(next)) {
      throw new Error(`INVITE server transaction: illegal transition ${this.#state} → ${next}`);
    }
    this.#state = next;
  }
}
