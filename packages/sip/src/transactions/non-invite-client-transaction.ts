import type { SipRequest, SipResponse } from '../messages/index.ts';
import { timer64, type Endpoint, type SipTimerValues } from '../core/timers.ts';

export interface ClientTransactionHost {
  sendRequest(request: SipRequest, to: Endpoint): void;
  terminated(key: string): void;
}

/** How a client transaction ended: a final response, or Timer F / a transport error (RFC 3261 §8.1.3.1: 408). */
export type ClientOutcome = { kind: 'response'; response: SipResponse } | { kind: 'timeout' };

/**
 * Non-INVITE client transaction, RFC 3261 §17.1.2.
 *
 *   Trying ── 1xx ──► Proceeding
 *     │ Timer E: resend at T1, 2·T1 … T2 (UDP)   │ Timer E at T2
 *     │ final                                    │ final
 *     ▼                                          ▼
 *   Completed ── Timer K (T4 on UDP, 0 on TCP) ──► Terminated
 *   Timer F (64·T1) in Trying/Proceeding ──► Terminated with a timeout
 */
export enum NonInviteClientState {
  Trying = 'trying',
  Proceeding = 'proceeding',
  Completed = 'completed',
  Terminated = 'terminated',
}

export class NonInviteClientTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly destination: Endpoint;
  readonly outcome: Promise<ClientOutcome>;
  #state = NonInviteClientState.Trying;
  #resolve!: (outcome: ClientOutcome) => void;
  #timerE: NodeJS.Timeout | undefined;
  #timerF: NodeJS.Timeout | undefined;
  #timerK: NodeJS.Timeout | undefined;
  #intervalE: number;
  readonly #host: ClientTransactionHost;
  readonly #timers: SipTimerValues;

  constructor(
    key: string,
    request: SipRequest,
    destination: Endpoint,
    host: ClientTransactionHost,
    timers: SipTimerValues,
  ) {
    this.key = key;
    this.request = request;
    this.destination = destination;
    this.#host = host;
    this.#timers = timers;
    this.#intervalE = timers.T1;
    this.outcome = new Promise((resolve) => (this.#resolve = resolve));
  }

  get state(): NonInviteClientState {
    return this.#state;
  }

  start(): void {
    this.#host.sendRequest(this.request, this.destination);
    if (this.destination.transport === 'udp') this.#scheduleE();
    this.#timerF = setTimeout(() => {
      this.#resolve({ kind: 'timeout' });
      this.close();
    }, timer64(this.#timers));
  }

  receiveResponse(response: SipResponse): void {
    if (this.#state === NonInviteClientState.Completed || this.#state === NonInviteClientState.Terminated) return;
    if (response.status < 200) {
      if (this.#state === NonInviteClientState.Trying) {
        this.#state = NonInviteClientState.Proceeding;
        this.#intervalE = this.#timers.T2;
      }
      return;
    }
    this.#state = NonInviteClientState.Completed;
    clearTimeout(this.#timerE);
    clearTimeout(this.#timerF);
    this.#timerE = this.#timerF = undefined;
    this.#resolve({ kind: 'response', response });
    const wait = this.destination.transport === 'udp' ? this.#timers.T4 : 0;
    this.#timerK = setTimeout(() => this.close(), wait);
  }

  /** Ends the transaction at once; an unresolved outcome resolves as a timeout. */
  close(): void {
    if (this.#state === NonInviteClientState.Terminated) return;
    this.#state = NonInviteClientState.Terminated;
    for (const t of [this.#timerE, this.#timerF, this.#timerK]) clearTimeout(t);
    this.#timerE = this.#timerF = this.#timerK = undefined;
    this.#resolve({ kind: 'timeout' });
    this.#host.terminated(this.key);
  }

  #scheduleE(): void {
    this.#timerE = setTimeout(() => {
      if (this.#state !== NonInviteClientState.Trying && this.#state !== NonInviteClientState.Proceeding) return;
      this.#host.sendRequest(this.request, this.destination);
      this.#intervalE = Math.min(2 * this.#intervalE, this.#timers.T2);
      this.#scheduleE();
    }, this.#intervalE);
  }
}
