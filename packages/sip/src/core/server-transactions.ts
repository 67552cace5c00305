import type { SipRequest, SipResponse } from '../messages/index.ts';
import { InviteServerTransaction } from '../transactions/invite-server-transaction.ts';
import { NonInviteServerTransaction } from '../transactions/non-invite-server-transaction.ts';
import type { ServerTransaction, TransactionHost } from '../transactions/server-transaction.ts';
import type { Endpoint, SipTimerValues } from './timers.ts';

/**
 * The stack's server transactions (RFC 3261 §17.2), keyed by the request's branch and method: each
 * is created here for a new request, found again for a retransmission, an ACK or a CANCEL (§17.2.3,
 * §9.2), and forgotten when it terminates.
 */
export class ServerTransactions {
  readonly #transactions = new Map<string, ServerTransaction>();
  readonly #timers: SipTimerValues;
  readonly #host: TransactionHost;

  constructor(sendResponse: (response: SipResponse, to: Endpoint) => void, timers: SipTimerValues) {
    this.#timers = timers;
    this.#host = { sendResponse, terminated: (key) => this.#transactions.delete(key) };
  }

  get size(): number {
    return this.#transactions.size;
  }

  get(key: string): ServerTransaction | undefined {
    return this.#transactions.get(key);
  }

  createInvite(key: string, request: SipRequest, source: Endpoint): InviteServerTransaction {
    const tx = new InviteServerTransaction(key, request, source, this.#host, this.#timers);
    this.#transactions.set(key, tx);
    return tx;
  }

  createNonInvite(key: string, request: SipRequest, source: Endpoint): NonInviteServerTransaction {
    const tx = new NonInviteServerTransaction(key, request, source, this.#host, this.#timers);
    this.#transactions.set(key, tx);
    return tx;
  }

  /** Ends every transaction without sending anything. */
  close(): void {
    for (const tx of [...this.#transactions.values()]) tx.close();
  }
}
