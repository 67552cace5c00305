import { randomBytes } from 'node:crypto';
import { parseNameAddr } from './header-values.ts';
import { SipHeaders } from './sip-headers.ts';
import type { SipRequest, SipResponse } from './sip-message.ts';

export interface ResponseOptions {
  /** Added to To unless To already has a tag; ignored for 100 (RFC 3261 §8.2.6.2). */
  toTag?: string;
  /** Appended after the copied headers, in order. */
  headers?: [string, string][];
  body?: Buffer;
  contentType?: string;
}

/**
 * RFC 3261 §8.2.6.2: the response copies every Via (same order), From, To, Call-ID and CSeq of
 * the request; To gets our tag unless it has one, except in a 100 (Trying). §8.2.6.1: a 100 also
 * copies Timestamp. Headers are copied verbatim, so a 400 to a request with a malformed To still
 * echoes what the client sent.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  options?: ResponseOptions,
): SipResponse {
  const headers = new SipHeaders();
  for (const via of request.headers.getLines('Via')) headers.append('Via', via);
  const from = request.headers.get('From');
  if (from !== undefined) headers.append('From', from);
  const to = request.headers.get('To');
  if (to !== undefined) headers.append('To', status === 100 ? to : withTag(to, options?.toTag));
  for (const name of ['Call-ID', 'CSeq'] as const) {
    const value = request.headers.get(name);
    if (value !== undefined) headers.append(name, value);
  }
  if (status === 100) {
    const timestamp = request.headers.get('Timestamp');
    if (timestamp !== undefined) headers.append('Timestamp', timestamp);
  }
  for (const [name, value] of options?.headers ?? []) headers.append(name, value);
  if (options?.contentType !== undefined) headers.set('Content-Type', options.contentType);
  return {
    type: 'response',
    status,
    reason: reason ?? reasonPhrase(status),
    headers,
    body: options?.body ?? Buffer.alloc(0),
  };
}

function withTag(to: string, tag: string | undefined): string {
  if (tag === undefined) return to;
  const parsed = parseNameAddr(to);
  // An unparseable To (answering 400 to it) is echoed as is; one with a tag keeps it (§12.2.1.1).
  if (parsed === undefined || parsed.tag !== undefined) return to;
  return `${to};tag=${tag}`;
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  417: 'Unknown Resource-Priority',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  428: 'Use Identity Header',
  429: 'Provide Referrer Identity',
  430: 'Flow Failed',
  433: 'Anonymity Disallowed',
  436: 'Bad Identity-Info',
  437: 'Unsupported Certificate',
  438: 'Invalid Identity Header',
  439: 'First Hop Lacks Outbound Support',
  440: 'Max-Breadth Exceeded',
  469: 'Bad Info Package',
  470: 'Consent Needed',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
  607: 'Unwanted',
  608: 'Rejected',
};

const CLASS_PHRASES = ['', 'Provisional', 'Success', 'Redirection', 'Client Error', 'Server Error', 'Global Failure'];

/** RFC 3261 §21 reason phrases (plus later RFCs); an unlisted code gets its class name. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? CLASS_PHRASES[Math.floor(status / 100)] ?? 'Unknown';
}

/** To/From tag: RFC 3261 §19.3 wants at least 32 random bits; this has 64. */
export function generateTag(): string {
  return randomBytes(8).toString('hex');
}

/** Via branch: the RFC 3261 §8.1.1.7 magic cookie `z9hG4bK` + 96 random bits. */
export function generateBranch(): string {
  return `z9hG4bK${randomBytes(12).toString('hex')}`;
}

/** Call-ID (RFC 3261 §8.1.1.4): 128 random bits, `@host` appended when given. */
export function generateCallId(host?: string): string {
  const id = randomBytes(16).toString('hex');
  return host === undefined ? id : `${id}@${host}`;
}
