import type { SipRequest, SipResponse } from '../messages/index.ts';
import type { Endpoint } from '../core/timers.ts';

/** What a server transaction needs from the stack: a way to put bytes on the wire, and to be forgotten. */
export interface TransactionHost {
  sendResponse(response: SipResponse, to: Endpoint): void;
  terminated(key: string): void;
}

export interface ServerTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly source: Endpoint;
  /** A retransmission of the request arrived. */
  receiveRetransmission(): void;
  respond(response: SipResponse): void;
  close(): void;
}
