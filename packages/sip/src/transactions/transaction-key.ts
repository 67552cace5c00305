import { parseCSeq, parseNameAddr, parseVia, type SipRequest, type SipResponse } from '../messages/index.ts';

const MAGIC_COOKIE = 'z9hG4bK';

/**
 * Server transaction key, RFC 3261 §17.2.3: branch + sent-by + method, with ACK mapped to INVITE
 * (an ACK for a non-2xx shares the INVITE's branch). CANCEL keeps its own method: it is a
 * transaction of its own that happens to share the INVITE's branch (§9.2).
 * Without the magic cookie (an RFC 2543 peer) the key falls back to the §17.2.3 list of fields.
 */
export function serverTransactionKey(request: SipRequest, methodOverride?: string): string | undefined {
  const viaText = request.headers.get('Via');
  const via = viaText ? parseVia(viaText) : undefined;
  if (!via) return undefined;
  const method = methodOverride ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  const sentBy = `${via.host}:${via.port ?? ''}`;
  // A bare magic cookie (RFC 4475 badbranch) is no unique branch: match it the RFC 2543 way.
  if (via.branch?.startsWith(MAGIC_COOKIE) && via.branch.length > MAGIC_COOKIE.length)
    return `${via.branch}\u0000${sentBy}\u0000${method}`;
  const cseq = parseCSeq(request.headers.get('CSeq') ?? '');
  const fromTag = parseNameAddr(request.headers.get('From') ?? '')?.tag ?? '';
  const callId = request.headers.get('Call-ID') ?? '';
  return `2543\u0000${request.uri}\u0000${callId}\u0000${fromTag}\u0000${cseq?.seq ?? ''}\u0000${sentBy}\u0000${method}`;
}

/** Client transaction key, RFC 3261 §17.1.3: the top Via branch + the CSeq method. */
export function clientTransactionKey(message: SipRequest | SipResponse): string | undefined {
  const via = parseVia(message.headers.get('Via') ?? '');
  const cseq = parseCSeq(message.headers.get('CSeq') ?? '');
  if (!via?.branch || !cseq) return undefined;
  return `${via.branch}\u0000${cseq.method}`;
}
