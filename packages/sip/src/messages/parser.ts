import { isUtf8 } from 'node:buffer';
import { checkHeaders } from './message-checks.ts';
import type { CheckFailure } from './message-checks.ts';
import { SipHeaders } from './sip-headers.ts';
import type { SipMessage, SipRequest } from './sip-message.ts';
import { parseStartLine } from './start-line.ts';
import { isToken, trimWsp } from './syntax.ts';

export interface ParseLimits {
  /** Start line + headers + body. 65,535: the largest UDP payload. Beyond → 513. */
  maxMessageBytes: number;
  /** Header lines after unfolding. Beyond → 513. */
  maxHeaders: number;
  /** One header line, folded continuation lines included. Beyond → 513. */
  maxHeaderLineBytes: number;
  /** Content-Length (or the rest of a datagram without one). Beyond → 413. */
  maxBodyBytes: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageBytes: 65535,
  maxHeaders: 256,
  maxHeaderLineBytes: 8192,
  maxBodyBytes: 65535,
});

/**
 * `bytes`: octets this message occupies from the start of `data` (leading CRLFs included, trailing
 * octets after Content-Length excluded), so a stream transport can advance its buffer.
 *
 * On failure, `request` is present when the start line and the Via and CSeq headers were read (not
 * necessarily valid): the transport answers `status` to it statelessly (400, 501, 505, 413, 513),
 * sending to the packet's source (RFC 3261 §18.2.2). Via and CSeq are what the sender's client
 * transaction matches a response on (§17.1.3), so a request missing From, To or Call-ID
 * (RFC 4475 §3.1.4.1 insuf) still gets its 400, echoing what it had. `request` is absent when
 * nothing may be sent: malformed responses are dropped (RFC 3261 §18.3; RFC 4475 §3.1.2.5,
 * §3.1.2.19), an ACK never gets a response (RFC 3261 §17), and without Via or CSeq no response
 * could be matched.
 */
export type ParseOutcome =
  | { ok: true; message: SipMessage; bytes: number }
  | { ok: false; status: number; reason: string; request?: SipRequest };

const CR = 0x0d;
const LF = 0x0a;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const LF_LF = Buffer.from('\n\n');
const LINE_BREAK_RE = /\r?\n/;
const DIGITS_RE = /^[0-9]+$/;

/**
 * Parses one SIP message from a datagram (or a chunk a stream transport framed with
 * `frameStreamMessage`). Never throws.
 *
 *   ┌───────────────────────────────────────┐
 *   │ *CRLF                                 │ ignored before the start line (RFC 3261 §7.5)
 *   │ start-line CRLF                       │ see start-line.ts
 *   │ *( field-name *WSP ":" SWS value CRLF │ names case-insensitive, compact forms (§7.3.3)
 *   │    *( 1*WSP value-continued CRLF ) )  │ folding: CRLF + WSP is one SP (§7.3.1)
 *   │ CRLF                                  │ a bare LF is tolerated, and its absence at the end
 *   │                                       │ of a datagram (RFC 4475 baddn ships without it)
 *   │ body: Content-Length octets           │ absent header on UDP: the rest (§18.3)
 *   │ trailing octets                       │ ignored (§18.3, RFC 4475 §3.1.1.8 dblreq)
 *   └───────────────────────────────────────┘
 */
export function parseMessage(data: Uint8Array, limits?: Partial<ParseLimits>): ParseOutcome {
  const resolved: ParseLimits = { ...DEFAULT_PARSE_LIMITS, ...limits };
  try {
    const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return parse(buffer, resolved);
  } catch {
    // Not expected: every branch below is bounded and checked. Kept so a bug cannot crash a transport.
    return { ok: false, status: 400, reason: 'Malformed message' };
  }
}

function parse(data: Buffer, limits: ParseLimits): ParseOutcome {
  let start = 0;
  while (start < data.length && (data[start] === CR || data[start] === LF)) start++;
  if (start === data.length) return { ok: false, status: 400, reason: 'Empty message' };

  const head = findHeadEnd(data, start, limits.maxMessageBytes);
  if (head === undefined) return { ok: false, status: 513, reason: 'Message Too Large' };
  const headBytes = data.subarray(start, head.end);
  // Header text is UTF-8 by RFC 3261 §7.3.1 (TEXT-UTF8); anything else is read byte-for-char.
  const text = headBytes.toString(isUtf8(headBytes) ? 'utf8' : 'latin1');
  const lines = text.split(LINE_BREAK_RE);

  const startLine = parseStartLine(lines[0] ?? '');
  const headers = new SipHeaders();
  const syntax = readHeaders(lines, headers, limits);

  const body = readBody(data, head.bodyStart, headers, limits);
  if (startLine.type === 'unknown')
    return { ok: false, status: startLine.error.status, reason: startLine.error.reason };

  // Size limits first (the rest may not be worth reading), then the start line, header syntax,
  // framing, and last the semantic checks.
  const bodyError = body.ok ? undefined : body.error;
  const failure =
    syntax.sizeError ??
    (bodyError?.status === 413 ? bodyError : undefined) ??
    startLine.error ??
    syntax.error ??
    bodyError ??
    checkHeaders(headers, startLine.type === 'request' ? startLine.method : undefined);
  const bodyBytes = body.ok ? body.body : Buffer.alloc(0);

  if (startLine.type === 'response') {
    if (failure !== undefined) return { ok: false, status: failure.status, reason: failure.reason };
    const message: SipMessage = {
      type: 'response',
      status: startLine.status,
      reason: startLine.reason,
      headers,
      body: bodyBytes,
    };
    return { ok: true, message, bytes: body.ok ? body.end : data.length };
  }

  const request: SipRequest = {
    type: 'request',
    method: startLine.method,
    uri: startLine.uri,
    headers,
    body: bodyBytes,
  };
  if (failure === undefined && body.ok) {
    if (body.end - start > limits.maxMessageBytes) return reject({ status: 513, reason: 'Message Too Large' }, request);
    return { ok: true, message: request, bytes: body.end };
  }
  return reject(failure ?? { status: 400, reason: 'Malformed message' }, request);
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

function reject(failure: CheckFailure, request: SipRequest): ParseOutcome {
  const answerable =
    isToken(request.method) &&
    request.method !== 'ACK' &&
    nonEmpty(request.headers.get('Via')) &&
    nonEmpty(request.headers.get('CSeq'));
  return answerable
    ? { ok: false, status: failure.status, reason: failure.reason, request }
    : { ok: false, status: failure.status, reason: failure.reason };
}

/**
 * End of the header block: the first empty line (CRLF CRLF, or LF LF from sloppy peers). A
 * datagram without one is taken as headers only. Undefined when the head exceeds the size limit.
 */
function findHeadEnd(data: Buffer, start: number, maxBytes: number): { end: number; bodyStart: number } | undefined {
  const window = data.subarray(start, Math.min(data.length, start + maxBytes + CRLF_CRLF.length));
  const crlf = window.indexOf(CRLF_CRLF);
  const lf = window.subarray(0, crlf === -1 ? window.length : crlf).indexOf(LF_LF);
  if (lf !== -1) return { end: start + lf, bodyStart: start + lf + LF_LF.length };
  if (crlf !== -1) return { end: start + crlf, bodyStart: start + crlf + CRLF_CRLF.length };
  if (data.length - start > maxBytes) return undefined;
  return { end: data.length, bodyStart: data.length };
}

interface HeaderSyntax {
  error?: CheckFailure;
  sizeError?: CheckFailure;
}

/** Unfolds continuation lines and appends each header line; bounded by the line count and limits. */
function readHeaders(lines: string[], headers: SipHeaders, limits: ParseLimits): HeaderSyntax {
  const result: HeaderSyntax = {};
  let current: string | undefined;
  const commit = (line: string): boolean => {
    if (headers.size >= limits.maxHeaders) {
      result.sizeError = { status: 513, reason: 'Too Many Headers' };
      return false;
    }
    const colon = line.indexOf(':');
    // message-header = field-name HCOLON field-value; HCOLON = *( SP / HTAB ) ":" SWS
    const name = colon === -1 ? '' : trimWsp(line.slice(0, colon));
    if (!isToken(name)) {
      result.error ??= { status: 400, reason: 'Malformed header line' };
      return true;
    }
    headers.append(name, trimWsp(line.slice(colon + 1)));
    return true;
  };

  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header value.
      if (current === undefined) {
        result.error ??= { status: 400, reason: 'Continuation line without a header' };
        continue;
      }
      current = `${trimWsp(current)} ${trimWsp(line)}`;
    } else {
      if (current !== undefined && !commit(current)) return result;
      current = line;
    }
    if (current.length > limits.maxHeaderLineBytes) {
      result.sizeError = { status: 513, reason: 'Header Line Too Long' };
      return result;
    }
  }
  if (current !== undefined) commit(current);
  return result;
}

type BodyResult = { ok: true; body: Buffer; end: number } | { ok: false; error: CheckFailure };

/**
 * RFC 3261 §18.3: with Content-Length, the body is that many octets; extra datagram octets are
 * ignored, fewer is an error (400 for a request, dropped for a response). Without it (datagram
 * transports only) the body is the rest of the datagram. §20.14: the value is 1*DIGIT, so
 * `-999` (ncl) and `abc` are malformed; anything over 2^31 is treated the same way.
 */
function readBody(data: Buffer, bodyStart: number, headers: SipHeaders, limits: ParseLimits): BodyResult {
  const contentLength = headers.get('Content-Length');
  const available = data.length - bodyStart;
  if (contentLength === undefined) {
    if (available > limits.maxBodyBytes)
      return { ok: false, error: { status: 413, reason: 'Request Entity Too Large' } };
    return { ok: true, body: Buffer.from(data.subarray(bodyStart)), end: data.length };
  }
  if (!DIGITS_RE.test(contentLength) || contentLength.replace(/^0+/, '').length > 10) {
    return { ok: false, error: { status: 400, reason: 'Malformed Content-Length' } };
  }
  const length = Number(contentLength);
  if (length > 2 ** 31) return { ok: false, error: { status: 400, reason: 'Malformed Content-Length' } };
  if (length > limits.maxBodyBytes) return { ok: false, error: { status: 413, reason: 'Request Entity Too Large' } };
  if (length > available) return { ok: false, error: { status: 400, reason: 'Content-Length exceeds message' } };
  return { ok: true, body: Buffer.from(data.subarray(bodyStart, bodyStart + length)), end: bodyStart + length };
}
