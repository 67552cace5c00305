/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966), other schemes kept opaque.
 *
 *   SIP-URI          =  "sip:" [ userinfo ] hostport uri-parameters [ headers ]
 *   userinfo         =  ( user / telephone-subscriber ) [ ":" password ] "@"
 *   user             =  1*( unreserved / escaped / user-unreserved )
 *   user-unreserved  =  "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
 *   password         =  *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
 *   hostport         =  host [ ":" port ]
 *   host             =  hostname / IPv4address / IPv6reference        ("[" IPv6address "]")
 *   uri-parameters   =  *( ";" pname [ "=" pvalue ] )                  (paramchar: + "[]/:&+$")
 *   headers          =  "?" hname "=" hvalue *( "&" hname "=" hvalue )  (hnv-unreserved: + "[]/?:+$")
 *   absoluteURI      =  scheme ":" ( hier-part / opaque-part )         (RFC 2396 uric characters)
 *
 *   sip:alice;day=tue:pw%40x@[2001:db8::1]:5061;transport=tcp;lr?subject=hi
 *   └┬┘ └──────┬──────┘ └─┬─┘ └──────┬──────┘ └┬─┘ └──────┬──────┘ └───┬────┘
 *  scheme     user     password    host     port     params       headers
 *
 * `user` is unescaped (esc01: `sip:sips%3Auser%40example.com@example.net` has user
 * `sips:user@example.com`); `userRaw` keeps the escaped form so formatting reproduces it. The user
 * part ends at the first "@", which cannot appear unescaped later in a SIP URI (semiuri:
 * `sip:user;par=u%40example.net@example.com` has user `user;par=u@example.net`).
 */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel' | (string & {});
  /** Percent-unescaped user part. */
  user?: string;
  /** The user part exactly as written (still escaped). */
  userRaw?: string;
  password?: string;
  /** Host name, IPv4 address or IPv6 reference with its brackets; the number for tel URIs. */
  host: string;
  port?: number;
  /** Names lower-cased, names and values unescaped; a value-less parameter (`;lr`) maps to null. */
  params: Map<string, string | null>;
  /** URI headers (`?Route=...`), unescaped. */
  headers: Map<string, string>;
  /** For schemes other than sip/sips/tel: everything after "scheme:", unparsed. */
  opaque?: string;
}

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+\-.]*$/;
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const PARAM_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
const HEADER_NAME_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})+$/;
const HEADER_VALUE_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;
/** RFC 2396 uric = reserved / unreserved / escaped. */
const URIC_RE = /^(?:[A-Za-z0-9\-_.!~*'();/?:@&=+$,]|%[0-9A-Fa-f]{2})+$/;
/** hostname or IPv4address; "_" tolerated because real deployments use it. */
const HOSTNAME_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_\-.]*)$/;
const IPV6_REFERENCE_RE = /^\[[0-9A-Fa-f:.]+\]$/;
const PORT_RE = /^[0-9]{1,5}$/;
const TEL_NUMBER_RE = /^\+?[0-9A-Fa-f*#\-.()]+$/;

export function parseUri(uri: string): SipUri | undefined {
  const colon = uri.indexOf(':');
  if (colon <= 0) return undefined;
  const schemeText = uri.slice(0, colon);
  if (!SCHEME_RE.test(schemeText)) return undefined;
  const scheme = schemeText.toLowerCase();
  const rest = uri.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest);
  if (scheme === 'tel') return parseTelUri(rest);
  if (!URIC_RE.test(rest)) return undefined;
  return { scheme, host: '', params: new Map(), headers: new Map(), opaque: rest };
}

/** `scheme ":" 1*uric`: what RFC 3261 §25.1 allows as a Request-URI or name-addr URI of any scheme. */
export function isAbsoluteUri(uri: string): boolean {
  const colon = uri.indexOf(':');
  return colon > 0 && SCHEME_RE.test(uri.slice(0, colon)) && URIC_RE.test(uri.slice(colon + 1));
}

function parseSipUri(scheme: string, rest: string): SipUri | undefined {
  const result: SipUri = { scheme, host: '', params: new Map(), headers: new Map() };
  let hostPart = rest;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const pwColon = userinfo.indexOf(':');
    const userRaw = pwColon === -1 ? userinfo : userinfo.slice(0, pwColon);
    if (!USER_RE.test(userRaw)) return undefined;
    result.userRaw = userRaw;
    result.user = unescapeUri(userRaw);
    if (pwColon !== -1) {
      const password = userinfo.slice(pwColon + 1);
      if (!PASSWORD_RE.test(password)) return undefined;
      result.password = unescapeUri(password);
    }
  }

  const question = hostPart.indexOf('?');
  const beforeHeaders = question === -1 ? hostPart : hostPart.slice(0, question);
  const semi = beforeHeaders.indexOf(';');
  const hostport = semi === -1 ? beforeHeaders : beforeHeaders.slice(0, semi);
  if (!parseHostport(hostport, result)) return undefined;

  if (semi !== -1) {
    for (const param of beforeHeaders.slice(semi + 1).split(';')) {
      const eq = param.indexOf('=');
      const name = eq === -1 ? param : param.slice(0, eq);
      const value = eq === -1 ? null : param.slice(eq + 1);
      if (!PARAM_RE.test(name) || (value !== null && !PARAM_RE.test(value))) return undefined;
      result.params.set(unescapeUri(name).toLowerCase(), value === null ? null : unescapeUri(value));
    }
  }
  if (question !== -1) {
    for (const header of hostPart.slice(question + 1).split('&')) {
      const eq = header.indexOf('=');
      if (eq === -1) return undefined;
      const name = header.slice(0, eq);
      const value = header.slice(eq + 1);
      if (!HEADER_NAME_RE.test(name) || !HEADER_VALUE_RE.test(value)) return undefined;
      result.headers.set(unescapeUri(name), unescapeUri(value));
    }
  }
  return result;
}

function parseHostport(hostport: string, into: SipUri): boolean {
  let host = hostport;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close === -1) return false;
    host = hostport.slice(0, close + 1);
    const after = hostport.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return false;
      portText = after.slice(1);
    }
    if (!IPV6_REFERENCE_RE.test(host)) return false;
  } else {
    const colon = hostport.indexOf(':');
    if (colon !== -1) {
      host = hostport.slice(0, colon);
      portText = hostport.slice(colon + 1);
    }
    if (!HOSTNAME_RE.test(host)) return false;
  }
  into.host = host;
  if (portText !== undefined) {
    const port = parsePort(portText);
    if (port === undefined) return false;
    into.port = port;
  }
  return true;
}

/**
 *   telephone-uri = "tel:" telephone-subscriber      (RFC 3966 §3)
 *   telephone-subscriber = ( global-number / local-number ) *( ";" par )
 */
function parseTelUri(rest: string): SipUri | undefined {
  const parts = rest.split(';');
  const number = parts[0] ?? '';
  if (!TEL_NUMBER_RE.test(number)) return undefined;
  const params = new Map<string, string | null>();
  for (const param of parts.slice(1)) {
    const eq = param.indexOf('=');
    const name = eq === -1 ? param : param.slice(0, eq);
    const value = eq === -1 ? null : param.slice(eq + 1);
    if (!PARAM_RE.test(name) || (value !== null && !PARAM_RE.test(value))) return undefined;
    params.set(unescapeUri(name).toLowerCase(), value === null ? null : unescapeUri(value));
  }
  return { scheme: 'tel', host: number, params, headers: new Map() };
}

export function parsePort(text: string): number | undefined {
  if (!PORT_RE.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** An address as a URI host or a Via sent-by: an IPv6 address as an IPv6reference, in brackets (RFC 3261 §25.1). */
export function formatHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

export function formatUri(uri: SipUri): string {
  const scheme = uri.scheme.toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return `${uri.scheme}:${uri.opaque ?? uri.host}`;
  let out = `${scheme}:`;
  if (scheme !== 'tel' && uri.user !== undefined) {
    const rawStillValid = uri.userRaw !== undefined && unescapeUri(uri.userRaw) === uri.user;
    out += rawStillValid ? uri.userRaw : escapeUri(uri.user, USER_SAFE);
    if (uri.password !== undefined) out += `:${escapeUri(uri.password, PASSWORD_SAFE)}`;
    out += '@';
  }
  out += uri.host;
  if (uri.port !== undefined && scheme !== 'tel') out += `:${uri.port}`;
  for (const [name, value] of uri.params) {
    out += `;${escapeUri(name, PARAM_SAFE)}`;
    if (value !== null) out += `=${escapeUri(value, PARAM_SAFE)}`;
  }
  let separator = '?';
  for (const [name, value] of uri.headers) {
    out += `${separator}${escapeUri(name, HEADER_SAFE)}=${escapeUri(value, HEADER_SAFE)}`;
    separator = '&';
  }
  return out;
}

const UNRESERVED = "A-Za-z0-9\\-_.!~*'()";
const USER_SAFE = new RegExp(`[${UNRESERVED}&=+$,;?/]`);
const PASSWORD_SAFE = new RegExp(`[${UNRESERVED}&=+$,]`);
const PARAM_SAFE = new RegExp(`[${UNRESERVED}\\[\\]/:&+$]`);
const HEADER_SAFE = new RegExp(`[${UNRESERVED}\\[\\]/?:+$]`);

/** Percent-decodes; escaped octets are read as UTF-8 (invalid sequences become U+FFFD, never throw). */
export function unescapeUri(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (code < 0x80) {
      bytes.push(code);
    } else {
      bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function escapeUri(text: string, safe: RegExp): string {
  let out = '';
  for (const ch of text) {
    if (safe.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
