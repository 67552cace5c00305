/**
 * Header-name knowledge: compact forms, canonical spelling, which headers are comma lists and
 * which may appear only once.
 */

/**
 * Compact forms (RFC 3261 §7.3.3 and §20; RFC 3265 o/u, RFC 3515 r, RFC 3892 b, RFC 4028 x,
 * RFC 4474/8224 y, RFC 3841 a/j/d).
 */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding',
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  o: 'Event',
  r: 'Refer-To',
  b: 'Referred-By',
  u: 'Allow-Events',
  x: 'Session-Expires',
  y: 'Identity',
  a: 'Accept-Contact',
  j: 'Reject-Contact',
  d: 'Request-Disposition',
};

const KNOWN_NAMES = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Diversion',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'History-Info',
  'Identity',
  'In-Reply-To',
  'Max-Forwards',
  'MIME-Version',
  'Min-Expires',
  'Min-SE',
  'Organization',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Remote-Party-ID',
  'Replaces',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'Server',
  'Service-Route',
  'Session-Expires',
  'Subject',
  'Subscription-State',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
] as const;

const CANONICAL = new Map<string, string>(KNOWN_NAMES.map((name) => [name.toLowerCase(), name]));

/**
 * Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1: may be split into several
 * lines or combined into one). Everything else, known or not, is never split: the authentication
 * headers, Date, Call-ID, CSeq, From, To, Content-* scalars, User-Agent, Subject, ... contain
 * commas that are not separators, and for an unknown extension header we cannot know.
 */
const LIST_HEADERS = new Set<string>(
  [
    'Accept',
    'Accept-Contact',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Call-Info',
    'Contact',
    'Content-Encoding',
    'Content-Language',
    'Diversion',
    'Error-Info',
    'History-Info',
    'In-Reply-To',
    'P-Asserted-Identity',
    'P-Preferred-Identity',
    'Path',
    'Privacy',
    'Proxy-Require',
    'Reason',
    'Record-Route',
    'Reject-Contact',
    'Remote-Party-ID',
    'Request-Disposition',
    'Require',
    'Route',
    'Service-Route',
    'Supported',
    'Unsupported',
    'Via',
    'Warning',
  ].map((name) => name.toLowerCase()),
);

/**
 * Headers that carry exactly one value; a second occurrence with a different value makes the
 * message invalid (RFC 4475 §3.1.4.8 multi01, §3.1.4.9 mcl01; RFC 3261 §7.3.1 forbids repeating
 * a non-list header).
 */
export const SINGLE_VALUE_HEADERS: readonly string[] = [
  'Call-ID',
  'CSeq',
  'From',
  'To',
  'Max-Forwards',
  'Content-Length',
  'Content-Type',
];

/** Lower-case lookup key: compact forms resolve to their long name. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) {
    const long = COMPACT_FORMS[lower];
    if (long !== undefined) return long.toLowerCase();
  }
  return lower;
}

/** Spelling used when serializing: canonical for known headers, as written otherwise. */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  return CANONICAL.get(key) ?? name;
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}
