import { SipHeaders, parseCSeq, type SipRequest, type SipResponse } from '../messages/index.ts';

/**
 * §9.1: the CANCEL copies the Request-URI, Call-ID, To, From, CSeq number and Route of the INVITE
 * being cancelled (the latest, after an auth retry), and its single Via with the same branch.
 * `reason` is an RFC 3326 Reason value; `fallbackSeq` the CSeq number when the INVITE's is unreadable.
 */
export function cancelFor(
  invite: SipRequest,
  reason: string | undefined,
  userAgent: string,
  fallbackSeq: number,
): SipRequest {
  const headers = new SipHeaders();
  headers.append('Via', invite.headers.get('Via') ?? '');
  headers.append('Max-Forwards', '70');
  for (const route of invite.headers.getAll('Route')) headers.append('Route', route);
  headers.append('From', invite.headers.get('From') ?? '');
  headers.append('To', invite.headers.get('To') ?? '');
  headers.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  headers.append('CSeq', `${parseCSeq(invite.headers.get('CSeq') ?? '')?.seq ?? fallbackSeq} CANCEL`);
  if (reason) headers.append('Reason', reason);
  headers.append('User-Agent', userAgent);
  return { type: 'request', method: 'CANCEL', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/**
 * The ACK for a 300-699 to our INVITE, sent by the transaction (RFC 3261 §17.1.1.3): the INVITE's
 * Request-URI, Call-ID, From, CSeq number, top Via (same branch) and Route, the response's To.
 */
export function ackForFailure(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new SipHeaders();
  headers.append('Via', invite.headers.get('Via') ?? '');
  headers.append('Max-Forwards', '70');
  for (const route of invite.headers.getAll('Route')) headers.append('Route', route);
  headers.append('From', invite.headers.get('From') ?? '');
  headers.append('To', response.headers.get('To') ?? '');
  headers.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  headers.append('CSeq', `${parseCSeq(invite.headers.get('CSeq') ?? '')?.seq ?? 1} ACK`);
  return { type: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}
