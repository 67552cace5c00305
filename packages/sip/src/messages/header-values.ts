import { isIP } from 'node:net';
import {
  formatParams,
  isToken,
  parseParams,
  quoteString,
  readQuotedString,
  skipWhitespace,
  TOKEN_RE,
  trimWsp,
} from './syntax.ts';
import { isAbsoluteUri, parsePort, parseUri } from './sip-uri.ts';

export { parseUri, formatHost, formatUri, isAbsoluteUri, unescapeUri } from './sip-uri.ts';
export type { SipUri } from './sip-uri.ts';

export interface Via {
  /** protocol-name "/" protocol-version, upper-cased; formatVia writes `SIP/2.0` when absent. */
  protocol?: string;
  /** Upper-cased: UDP, TCP, TLS, SCTP, WS, WSS or any extension token. */
  transport: string;
  /** Host name, IPv4 address or bracketed IPv6 reference. */
  host: string;
  port?: number;
  branch?: string;
  received?: string;
  /** RFC 3581: `;rport` alone (request) is true, `;rport=5060` (response) a number. */
  rport?: number | true;
  /** Every parameter as parsed, names lower-cased; what formatVia writes (see there). */
  params: Map<string, string | null>;
}

export interface NameAddr {
  /** Unescaped display name without quotes. */
  displayName?: string;
  /** The URI between < > (or the bare addr-spec), not unescaped; parse it with `parseUri`. */
  uri: string;
  /** Header parameters (after > or after a bare URI), names lower-cased. */
  params: Map<string, string | null>;
  tag?: string;
}

/**
 *   via-parm       =  sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol  =  protocol-name SLASH protocol-version SLASH transport      (SLASH = SWS "/" SWS)
 *   sent-by        =  host [ COLON port ]                                       (COLON = SWS ":" SWS)
 *   via-params     =  via-ttl / via-maddr / via-received / via-branch / response-port / via-extension
 *
 *   SIP / 2.0 / UDP  192.0.2.2:5060 ;branch=z9hG4bK776 ;received=192.0.2.9 ;rport=5062
 *
 * One via-parm: split a Via line on commas first (SipHeaders.getAll does).
 */
const VIA_HEAD_RE =
  /^[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_][A-Za-z0-9_\-.]*)(?:[ \t]*:[ \t]*([0-9]+))?/;

export function parseVia(value: string): Via | undefined {
  const match = VIA_HEAD_RE.exec(value);
  if (match === null) return undefined;
  const [whole, name = '', version = '', transport = '', host = '', portText] = match;
  const via: Via = {
    protocol: `${name}/${version}`.toUpperCase(),
    transport: transport.toUpperCase(),
    host,
    params: new Map(),
  };
  if (portText !== undefined) {
    const port = parsePort(portText);
    if (port === undefined) return undefined;
    via.port = port;
  }
  const params = parseParams(value, whole.length);
  if (params === undefined) return undefined;
  via.params = params;

  const branch = params.get('branch');
  if (branch !== undefined) {
    // via-branch = "branch" EQUAL token
    if (branch === null || !isToken(branch)) return undefined;
    via.branch = branch;
  }
  const received = params.get('received');
  if (received !== undefined) {
    // via-received = "received" EQUAL (IPv4address / IPv6address)
    if (received === null || isIP(received.replace(/^\[(.*)\]$/, '$1')) === 0) return undefined;
    via.received = received;
  }
  const rport = params.get('rport');
  if (rport !== undefined) {
    // RFC 3581 §3: response-port = "rport" [EQUAL 1*DIGIT]
    if (rport === null) via.rport = true;
    else {
      const port = parsePort(rport);
      if (port === undefined) return undefined;
      via.rport = port;
    }
  }
  return via;
}

/**
 * `params` is the source of truth (edit it to change a parsed Via); the branch, received and rport
 * fields are written only when `params` lacks them, so a Via built from scratch needs no map entries.
 */
export function formatVia(via: Via): string {
  const params = new Map(via.params);
  if (via.branch !== undefined && !params.has('branch')) params.set('branch', via.branch);
  if (via.received !== undefined && !params.has('received')) params.set('received', via.received);
  if (via.rport !== undefined && !params.has('rport'))
    params.set('rport', via.rport === true ? null : String(via.rport));
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol ?? 'SIP/2.0'}/${via.transport} ${via.host}${port}${formatParams(params)}`;
}

/**
 *   from-spec / to-spec / contact-param  =  ( name-addr / addr-spec ) *( SEMI generic-param )
 *   name-addr     =  [ display-name ] LAQUOT addr-spec RAQUOT        (LAQUOT = SWS "<", RAQUOT = ">" SWS)
 *   display-name  =  *(token LWS) / quoted-string
 *
 *   "Alice \"A\"" <sip:alice@example.com;transport=tcp> ;tag=1928301774
 *   Alice <sip:alice@example.com>;tag=88
 *   sip:alice@example.com;tag=88          (bare: ;tag is a header parameter, RFC 3261 §20.10)
 */
export function parseNameAddr(value: string): NameAddr | undefined {
  const start = skipWhitespace(value, 0);
  let displayName: string | undefined;
  let lt: number;
  if (value[start] === '"') {
    const quoted = readQuotedString(value, start);
    if (quoted === undefined) return undefined; // RFC 4475 §3.1.2.6 quotbal
    lt = skipWhitespace(value, quoted.end);
    if (value[lt] !== '<') return undefined;
    displayName = quoted.value;
  } else {
    lt = value.indexOf('<');
    if (lt === -1 || !isDisplayTokens(value.slice(start, lt))) return parseAddrSpec(value.slice(start));
    const tokens = trimWsp(value.slice(start, lt));
    if (tokens !== '') displayName = tokens;
  }
  const gt = value.indexOf('>', lt + 1);
  if (gt === -1) return undefined;
  const uri = value.slice(lt + 1, gt);
  // RFC 4475 §3.1.2.14 badaspec: no LWS inside < >; the URI must parse on its own.
  if (!isValidUri(uri)) return undefined;
  const params = parseParams(value, gt + 1);
  if (params === undefined) return undefined;
  return withTag({ displayName, uri, params });
}

/**
 * RFC 3261 §20.10: without < >, every parameter after the URI is a header parameter, and an
 * addr-spec containing a comma, semicolon or question mark MUST use the name-addr form
 * (RFC 4475 §3.1.2.13 regbadct).
 */
function parseAddrSpec(text: string): NameAddr | undefined {
  const semi = text.indexOf(';');
  const uri = (semi === -1 ? text : text.slice(0, semi)).trimEnd();
  if (uri.includes('?') || uri.includes(',') || !isValidUri(uri)) return undefined;
  const params = semi === -1 ? new Map<string, string | null>() : parseParams(text, semi);
  if (params === undefined) return undefined;
  return withTag({ uri, params });
}

function withTag(nameAddr: NameAddr): NameAddr | undefined {
  const tag = nameAddr.params.get('tag');
  // tag-param = "tag" EQUAL token (RFC 3261 §25.1)
  if (tag === null || (tag !== undefined && !isToken(tag))) return undefined;
  if (tag !== undefined) nameAddr.tag = tag;
  if (nameAddr.displayName === undefined) delete nameAddr.displayName;
  return nameAddr;
}

/** display-name = *(token LWS): RFC 4475 §3.1.2.15 baddn has "Bell, Alexander" unquoted. */
function isDisplayTokens(text: string): boolean {
  for (const word of text.split(/[ \t]+/)) if (word !== '' && !TOKEN_RE.test(word)) return false;
  return true;
}

function isValidUri(uri: string): boolean {
  const colon = uri.indexOf(':');
  const scheme = uri.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') return parseUri(uri) !== undefined;
  return isAbsoluteUri(uri);
}

/** Always the name-addr form (<...>), display name quoted; `tag` is written when `params` lacks one. */
export function formatNameAddr(nameAddr: NameAddr): string {
  const params = new Map(nameAddr.params);
  if (nameAddr.tag !== undefined && !params.has('tag')) params.set('tag', nameAddr.tag);
  const display =
    nameAddr.displayName !== undefined && nameAddr.displayName !== '' ? `${quoteString(nameAddr.displayName)} ` : '';
  return `${display}<${nameAddr.uri}>${formatParams(params)}`;
}

/**
 *   CSeq  =  "CSeq" HCOLON 1*DIGIT LWS Method
 *
 * RFC 3261 §8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer and
 * less than 2**31 (RFC 4475 §3.1.2.4 scalar02, §3.1.2.5 scalarlg).
 */
const CSEQ_RE = /^[ \t]*([0-9]{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*$/;
const MAX_CSEQ = 2 ** 31 - 1;

export function parseCSeq(value: string): { seq: number; method: string } | undefined {
  const match = CSEQ_RE.exec(value);
  if (match === null) return undefined;
  const seq = Number(match[1]);
  if (seq > MAX_CSEQ) return undefined;
  return { seq, method: match[2] ?? '' };
}

export function formatCSeq(cseq: { seq: number; method: string }): string {
  return `${cseq.seq} ${cseq.method}`;
}
