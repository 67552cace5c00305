import { isAbsoluteUri, parseUri } from './sip-uri.ts';
import type { CheckFailure } from './message-checks.ts';
import { isToken } from './syntax.ts';

export type StartLine =
  /** `error` set: malformed, but method and URI were recovered well enough to answer 400/505. */
  | { type: 'request'; method: string; uri: string; error?: CheckFailure }
  | { type: 'response'; status: number; reason: string; error?: CheckFailure }
  | { type: 'unknown'; error: CheckFailure };

const STATUS_CODE_RE = /^[1-6][0-9][0-9]$/;
const SIP_VERSION_RE = /^SIP\/[0-9]+\.[0-9]+$/i;

/**
 *   Request-Line  =  Method SP Request-URI SP SIP-Version CRLF
 *   Status-Line   =  SIP-Version SP Status-Code SP Reason-Phrase CRLF
 *   SIP-Version   =  "SIP" "/" 1*DIGIT "." 1*DIGIT
 *
 *   INVITE sip:bob@example.com SIP/2.0          SIP/2.0 180 Ringing
 *   └─┬──┘ └───────┬─────────┘ └──┬──┘          └──┬──┘ └┬┘ └──┬──┘
 *   method    Request-URI     version           version code  reason
 *
 * Exactly one SP between the elements: RFC 4475 §3.1.2.8 lwsruri, §3.1.2.9 lwsstart and
 * §3.1.2.10 trws are invalid because of extra whitespace.
 */
export function parseStartLine(line: string): StartLine {
  if (/^SIP\//i.test(line)) return parseStatusLine(line);
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((part) => part === '')) {
    const words = line.trim().split(/[ \t]+/);
    const method = words[0] ?? '';
    const uri = words[1];
    const error = { status: 400, reason: 'Malformed Request-Line' };
    if (uri === undefined || !isToken(method)) return { type: 'unknown', error };
    return { type: 'request', method, uri, error };
  }
  const [method = '', uri = '', version = ''] = parts;
  if (!isToken(method)) return { type: 'unknown', error: { status: 400, reason: 'Malformed method' } };
  if (version.toUpperCase() !== 'SIP/2.0') {
    // RFC 3261 §21.5.6 505 Version Not Supported (RFC 4475 §3.1.2.16 badvers).
    const error = SIP_VERSION_RE.test(version)
      ? { status: 505, reason: 'Version Not Supported' }
      : { status: 400, reason: 'Malformed SIP-Version' };
    return { type: 'request', method, uri, error };
  }
  const uriError = checkRequestUri(uri);
  return uriError === undefined ? { type: 'request', method, uri } : { type: 'request', method, uri, error: uriError };
}

/**
 * Request-URI = SIP-URI / SIPS-URI / absoluteURI. RFC 3261 §19.1.1 (table "headers": not allowed
 * in a Request-URI) makes escruri's `?Route=...` invalid; <...> around it (ltgtruri) is no URI.
 * Unknown schemes are syntax-checked only: refusing them (416) is the application's call.
 */
function checkRequestUri(uri: string): CheckFailure | undefined {
  const scheme = uri.slice(0, Math.max(0, uri.indexOf(':'))).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') {
    const parsed = parseUri(uri);
    if (parsed === undefined) return { status: 400, reason: 'Malformed Request-URI' };
    if (parsed.headers.size > 0) return { status: 400, reason: 'Headers not allowed in Request-URI' };
    return undefined;
  }
  return isAbsoluteUri(uri) ? undefined : { status: 400, reason: 'Malformed Request-URI' };
}

function parseStatusLine(line: string): StartLine {
  const firstSpace = line.indexOf(' ');
  if (firstSpace === -1) return { type: 'unknown', error: { status: 400, reason: 'Malformed Status-Line' } };
  const version = line.slice(0, firstSpace);
  const rest = line.slice(firstSpace + 1);
  const secondSpace = rest.indexOf(' ');
  const code = secondSpace === -1 ? rest : rest.slice(0, secondSpace);
  // Reason-Phrase may be empty (RFC 4475 §3.1.1.13 noreason: "SIP/2.0 100 ").
  const reason = secondSpace === -1 ? '' : rest.slice(secondSpace + 1);
  // Status-Code = 3DIGIT, 100-699 (RFC 3261 §7.2; RFC 4475 §3.1.2.19 bigcode: drop).
  if (!STATUS_CODE_RE.test(code)) return { type: 'unknown', error: { status: 400, reason: 'Malformed Status-Code' } };
  const status = Number(code);
  if (version.toUpperCase() !== 'SIP/2.0') {
    return { type: 'response', status, reason, error: { status: 505, reason: 'Version Not Supported' } };
  }
  return { type: 'response', status, reason };
}
