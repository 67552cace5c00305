import type { SipHeaders } from './sip-headers.ts';

/**
 * RFC 3261 §7:
 *
 *   generic-message  =  start-line *message-header CRLF [ message-body ]
 *   start-line       =  Request-Line / Status-Line
 *   Request-Line     =  Method SP Request-URI SP SIP-Version CRLF
 *   Status-Line      =  SIP-Version SP Status-Code SP Reason-Phrase CRLF
 */
export interface SipRequest {
  readonly type: 'request';
  /** Case-sensitive token (RFC 3261 §7.1); unknown methods are kept as sent. */
  method: string;
  /** Request-URI as received (not unescaped); parse it with `parseUri`. */
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  readonly type: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(message: SipMessage): message is SipRequest {
  return message.type === 'request';
}

export function isResponse(message: SipMessage): message is SipResponse {
  return message.type === 'response';
}
