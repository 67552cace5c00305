import type { SipRequest, SipResponse } from '../messages/index.ts';
import { timer64, type Endpoint, type SipTimerValues } from '../core/timers.ts';
import type { ServerTransaction, TransactionHost } from './server-transaction.ts';

/**
 * Non-INVITE server transaction, RFC 3261 §17.2.2.
 *
 *            request
 *               │
 *               ▼       1xx             final
 *           Trying ──────────► Proceeding ──────┐
 *               │ final            │ 1xx        │
 *               ▼                  ▼            ▼
 *           Completed ◄───────────────────────── (retransmits the final on request retransmission)
 *               │ Timer J (64·T1 on UDP, 0 on TCP)
 *               ▼
 *           Terminated
 */
export enum NonInviteServerState {
  Trying = 'trying',
  Proceeding = 'proceeding',
  Completed = 'completed',
  Terminated = 'terminated',
}

export class NonInviteServerTransaction implements ServerTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly source: Endpoint;
  #state = NonInviteServerState.Trying;
  #lastResponse: SipResponse | undefined;
  #timerJ: NodeJS.Timeout | undefined;
  readonly #host: TransactionHost;
  readonly #timers: SipTimerValues;

  constructor(key: string, request: SipRequest, source: Endpoint, host: TransactionHost, timers: SipTimerValues) {
    this.key = key;
    this.request = request;
    this.source = source;
    this.#host = host;
    this.#timers = timers;
  }

  get state(): NonInviteServerState {
    return this.#state;
  }

  receiveRetransmission(): void {
    // §17.2.2: in Trying the retransmission is discarded; afterwards the last response is resent.
    if (this.#lastResponse && this.#state !== NonInviteServerState.Terminated) {
      this.#host.sendResponse(this.#lastResponse, this.source);
    }
  }

  respond(response: SipResponse): void {
    if (this.#state === NonInviteServerState.Completed || this.#state === NonInviteServerState.Terminated) return;
    this.#lastResponse = response;
    this.#host.sendResponse(response, this.source);
    if (response.status < 200) {
      this.#state = NonInviteServerState.Proceeding;
      return;
    }
    this.#state = NonInviteServerState.Completed;
    const wait = this.source.transport === 'udp' ? timer64(this.#timers) : 0;
    this.#timerJ = setTimeout(() => this.close(), wait);
  }

  close(): void {
    if (this.#state === NonInviteServerState.Terminated) return;
    this.#state = NonInviteServerState.Terminated;
    clearTimeout(this.#timerJ);
    this.#timerJ = undefined;
    this.#host.terminated(this.key);
  }
}
