import { parseUri, type SipRequest } from '@voicebridge/sip';

/** Option tags we implement (none yet: 100rel, timer, replaces come with later work). */
const SUPPORTED_OPTIONS = new Set<string>();

/**
 * What in a request makes us refuse it before looking at its content, as a SIP status and headers,
 * or undefined when it is fine.
 * - RFC 3261 §8.2.2.1: a Request-URI scheme we do not understand → 416.
 * - RFC 3261 §8.2.2.3: a Require with an option tag we do not support → 420 + Unsupported.
 */
export function refuseRequest(request: SipRequest): { status: number; headers: [string, string][] } | undefined {
  const uri = parseUri(request.uri);
  const scheme = uri?.scheme.toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return { status: 416, headers: [] };
  const unsupported = request.headers
    .getAll('Require')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '' && !SUPPORTED_OPTIONS.has(tag.toLowerCase()));
  if (unsupported.length > 0) return { status: 420, headers: [['Unsupported', unsupported.join(', ')]] };
  return undefined;
}
