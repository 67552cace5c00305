import { parseUri, type SipRequest } from '@voicebridge/sip';

/** Option tags we implement: RFC 4028 session timers (100rel and replaces come with later work). */
export const SUPPORTED_OPTIONS = new Set<string>(['timer']);

/**
 * What in a request makes us refuse it before looking at its content, as a SIP status and headers,
 * or undefined when it is fine.
 * - RFC 3261 §8.2.2.1: a Request-URI scheme we do not understand → 416.
 * - RFC 3261 §8.2.2.3: a Require with an option tag we do not support → 420 + Unsupported.
 * - RFC 3261 §8.2.3, for an INVITE (the only request whose body we read): a body that is not SDP
 *   → 415 + Accept (RFC 4475 invut); a Content-Encoding we cannot undo → 415 + Accept-Encoding.
 * - RFC 3261 §21.4.7: an INVITE whose Accept rules out the SDP our 2xx must carry → 406 (RFC 4475
 *   sdp01).
 * All of these come before the number is looked up: §8.2 inspects the request before processing it.
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
  return request.method === 'INVITE' ? refuseInviteContent(request) : undefined;
}

function refuseInviteContent(request: SipRequest): { status: number; headers: [string, string][] } | undefined {
  if (request.body.length > 0) {
    const type = mediaType(request.headers.get('Content-Type') ?? '');
    if (type !== SDP) return { status: 415, headers: [['Accept', SDP]] };
    const encodings = request.headers.getAll('Content-Encoding').map((e) => e.trim().toLowerCase());
    if (encodings.some((e) => e !== '' && e !== 'identity'))
      return { status: 415, headers: [['Accept-Encoding', 'identity']] };
  }
  const accept = request.headers.getLines('Accept');
  if (accept.length > 0) {
    // An empty Accept means no body is acceptable (§20.1); */* and application/* include SDP.
    const ranges = accept
      .flatMap((line) => line.split(','))
      .map(mediaType)
      .filter((r) => r !== '');
    if (!ranges.some((r) => r === SDP || r === 'application/*' || r === '*/*')) {
      return {
        status: 406,
        headers: [['Warning', '399 voicebridge "our answer is application/sdp, which the Accept header excludes"']],
      };
    }
  }
  return undefined;
}

const SDP = 'application/sdp';

/** `type/subtype` of a Content-Type or Accept range, lower case, parameters dropped. */
function mediaType(value: string): string {
  return (value.split(';')[0] ?? '').replace(/\s+/g, '').toLowerCase();
}
