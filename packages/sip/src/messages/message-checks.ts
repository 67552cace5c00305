import { SINGLE_VALUE_HEADERS } from './header-names.ts';
import { parseCSeq, parseNameAddr, parseVia } from './header-values.ts';
import type { SipHeaders } from './sip-headers.ts';
import { splitOutside, trimWsp } from './syntax.ts';

/** Header fields every request and response must carry (RFC 3261 §8.1.1, §20 table 2 "m"). */
export const REQUIRED_HEADERS = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;

/**
 *   callid  =  word [ "@" word ]
 *   word    =  1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" /
 *              "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" )
 */
const CALL_ID_RE = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+)?$/;
const DIGITS_RE = /^[0-9]+$/;

/** Methods of RFC 3261 and the registered extensions (RFC 3262, 3265, 3311, 3428, 3515, 3903, 6086). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'ACK',
  'BYE',
  'CANCEL',
  'INFO',
  'INVITE',
  'MESSAGE',
  'NOTIFY',
  'OPTIONS',
  'PRACK',
  'PUBLISH',
  'REFER',
  'REGISTER',
  'SUBSCRIBE',
  'UPDATE',
]);

export interface CheckFailure {
  status: number;
  reason: string;
}

/** The first missing required header, if any. */
export function missingRequiredHeader(headers: SipHeaders): string | undefined {
  for (const name of REQUIRED_HEADERS) {
    const value = headers.get(name);
    if (value === undefined || value === '') return name;
  }
  return undefined;
}

/**
 * Semantic checks the transaction and dialog layers rely on, shared by requests and responses.
 * `method` is the Request-Line method for requests, undefined for responses.
 */
export function checkHeaders(headers: SipHeaders, method: string | undefined): CheckFailure | undefined {
  const missing = missingRequiredHeader(headers);
  if (missing !== undefined) {
    // RFC 4475 §3.1.4.1 insuf: a request without Call-ID, From or To is answered 400 "ideally";
    // the parser reports it and the caller decides whether it can answer at all.
    return bad(`Missing ${missing} header`);
  }
  for (const name of SINGLE_VALUE_HEADERS) {
    const lines = headers.getLines(name);
    if (lines.length < 2) continue;
    // RFC 4475 §3.1.4.8 multi01 / §3.1.4.9 mcl01: conflicting values of a single-value header.
    const first = normalize(lines[0] ?? '');
    if (lines.some((line) => normalize(line) !== first)) return bad(`Conflicting ${name} headers`);
  }

  // via-parm *(COMMA via-parm): every element must parse, empty ones included (badinv01 `;;,;,,`).
  for (const line of headers.getLines('Via')) {
    for (const element of splitOutside(line, ',')) {
      if (parseVia(element) === undefined) return bad('Malformed Via header');
    }
  }
  for (const name of ['From', 'To'] as const) {
    // RFC 4475 §3.1.2.6 quotbal, §3.1.2.14 badaspec, §3.1.2.15 baddn.
    if (parseNameAddr(headers.get(name) ?? '') === undefined) return bad(`Malformed ${name} header`);
  }
  if (!CALL_ID_RE.test(headers.get('Call-ID') ?? '')) return bad('Malformed Call-ID header');

  const cseq = parseCSeq(headers.get('CSeq') ?? '');
  // RFC 3261 §8.1.1.5: sequence number < 2**31 (RFC 4475 §3.1.2.4 scalar02, §3.1.2.5 scalarlg).
  if (cseq === undefined) return bad('Malformed CSeq header');
  if (method !== undefined && cseq.method !== method) {
    // RFC 4475 §3.1.2.17 mismatch01: 400. §3.1.2.18 mismatch02: for an unknown method 501 is
    // preferred over 400 ("better future-proof characteristics").
    return KNOWN_METHODS.has(method)
      ? bad('CSeq method does not match Request-Line')
      : { status: 501, reason: 'Not Implemented' };
  }

  const maxForwards = headers.get('Max-Forwards');
  // Max-Forwards = 1*DIGIT (RFC 3261 §20.22). A numeric but out-of-range value (scalar02's 300)
  // is tolerated: RFC 4475 §3.1.2.4 lets an element process the request as if it were absent.
  if (maxForwards !== undefined && !DIGITS_RE.test(maxForwards)) return bad('Malformed Max-Forwards header');

  for (const line of headers.getLines('Contact')) {
    for (const element of splitOutside(line, ',')) {
      // contact = ( "*" / (contact-param *(COMMA contact-param)) ); RFC 4475 §3.1.2.13 regbadct.
      if (element !== '*' && parseNameAddr(element) === undefined) return bad('Malformed Contact header');
    }
  }
  return undefined;
}

function bad(reason: string): CheckFailure {
  return { status: 400, reason };
}

/** Whitespace runs collapse and leading zeros of a number vanish: `Content-Length: 05` equals `5`. */
function normalize(value: string): string {
  const text = trimWsp(value.replace(/[ \t]+/g, ' '));
  return DIGITS_RE.test(text) ? text.replace(/^0+(?=[0-9])/, '') : text;
}
