import type { SipRequest, SipResponse } from '../messages/index.ts';
import { InviteClientTransaction, type InviteClientHost } from '../transactions/invite-client-transaction.ts';
import {
  NonInviteClientTransaction,
  type ClientOutcome,
  type ClientTransactionHost,
} from '../transactions/non-invite-client-transaction.ts';
import { clientTransactionKey } from '../transactions/transaction-key.ts';
import type { Endpoint, SipTimerValues } from './timers.ts';

/**
 * The stack's client transactions (RFC 3261 §17.1), keyed by top Via branch and CSeq method: each is
 * started here, given the responses that match it (§17.1.3), and forgotten when it terminates.
 */
export class ClientTransactions {
  readonly #transactions = new Map<string, NonInviteClientTransaction | InviteClientTransaction>();
  readonly #timers: SipTimerValues;
  readonly #host: ClientTransactionHost;

  constructor(sendRequest: (request: SipRequest, to: Endpoint) => void, timers: SipTimerValues) {
    this.#timers = timers;
    this.#host = { sendRequest, terminated: (key) => this.#transactions.delete(key) };
  }

  get size(): number {
    return this.#transactions.size;
  }

  /** Sends a non-INVITE request on a new transaction (§17.1.2); its top Via must carry a branch. */
  start(request: SipRequest, destination: Endpoint): Promise<ClientOutcome> {
    const key = clientTransactionKey(request);
    if (!key) throw new Error('request without Via branch or CSeq');
    const tx = new NonInviteClientTransaction(key, request, destination, this.#host, this.#timers);
    this.#transactions.set(key, tx);
    tx.start();
    return tx.outcome;
  }

  /**
   * Sends an INVITE on a new transaction (§17.1.1): `ackFor` builds the ACK the transaction sends for
   * a 300-699, `onSuccess` ACKs each 2xx end to end (§13.2.2.4). Without a branch it times out.
   */
  startInvite(
    request: SipRequest,
    destination: Endpoint,
    ackFor: (response: SipResponse) => SipRequest,
    onSuccess: (response: SipResponse) => void,
    extra?: Pick<InviteClientHost, 'onProvisional' | 'timerBCallingOnly'>,
  ): Promise<ClientOutcome> {
    const key = clientTransactionKey(request);
    if (!key) return Promise.resolve({ kind: 'timeout' });
    const host = { ...this.#host, ackFor, onSuccess, ...extra };
    const tx = new InviteClientTransaction(key, request, destination, host, this.#timers);
    this.#transactions.set(key, tx);
    tx.start();
    return tx.outcome;
  }

  /** Gives a response to the transaction it belongs to; false when none waits for it (a stray). */
  receiveResponse(response: SipResponse): boolean {
    const key = clientTransactionKey(response);
    const tx = key ? this.#transactions.get(key) : undefined;
    tx?.receiveResponse(response);
    return tx !== undefined;
  }

  /** Ends one transaction now (RFC 3261 §9.1: no final response 64·T1 after our CANCEL's 200). */
  end(request: SipRequest): void {
    const key = clientTransactionKey(request);
    if (key) this.#transactions.get(key)?.close();
  }

  /** Ends every transaction without sending anything. */
  close(): void {
    for (const tx of [...this.#transactions.values()]) tx.close();
  }
}
