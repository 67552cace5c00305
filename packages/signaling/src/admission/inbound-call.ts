import { normalizeNumber, normalizeTrunkNumber, type TrunkConfig } from '@voicebridge/protocol';
import { parseNameAddr, parseUri, type SipRequest } from '@voicebridge/sip';

/** The caller as recorded when a trusted trunk says `Privacy: id` (RFC 3323 §4.1.1.3 anonymous URI). */
export const ANONYMOUS_CALLER = 'sip:anonymous@anonymous.invalid';

const MAX_ROUTING_ENTRIES = 10;
const MAX_ROUTING_LENGTH = 500;
const MAX_DISPLAY_NAME = 200;

/** What admission learned about a new call from its INVITE and the trunk it came from. */
export interface InboundCall {
  /** Absent for a source admitted by SIP_ALLOWED_CIDRS. */
  trunk?: TrunkConfig;
  /** The user part (or tel: number) as received, for logs and a record that did not normalise. */
  dialled: string;
  /** E.164, or undefined when the dialled string is not a number. */
  number?: string;
  /** The caller's URI for the record: From, or P-Asserted-Identity from a trusted trunk. */
  from: string;
  /** From's display name (at most 200 characters), absent when none or when the caller is anonymous. */
  fromName?: string;
  diversion?: string[];
  historyInfo?: string[];
}

/**
 * Reads the dialled number (Request-URI or To, per trunk; `tel:` accepted), the caller (RFC 3325
 * P-Asserted-Identity only from a trusted trunk, `Privacy: id` → anonymous) and the retargeting
 * history (RFC 5806 Diversion, RFC 7044 History-Info) kept for the record.
 */
export function readInboundCall(request: SipRequest, trunk: TrunkConfig | undefined): InboundCall {
  const source = trunk?.numberFrom === 'to' ? (parseNameAddr(request.headers.get('To') ?? '')?.uri ?? '') : request.uri;
  const uri = parseUri(source);
  const dialled = uri === undefined ? '' : uri.scheme === 'tel' ? uri.host : (uri.user ?? '');
  const number = trunk === undefined ? normalizeNumber(dialled) : normalizeTrunkNumber(dialled, trunk);
  const inbound: InboundCall = { dialled, from: callerUri(request, trunk) };
  const fromName = parseNameAddr(request.headers.get('From') ?? '')?.displayName;
  if (fromName && inbound.from !== ANONYMOUS_CALLER) inbound.fromName = fromName.slice(0, MAX_DISPLAY_NAME);
  if (trunk !== undefined) inbound.trunk = trunk;
  if (number !== undefined) inbound.number = number;
  const diversion = routingValues(request, 'Diversion');
  if (diversion) inbound.diversion = diversion;
  const historyInfo = routingValues(request, 'History-Info');
  if (historyInfo) inbound.historyInfo = historyInfo;
  return inbound;
}

function callerUri(request: SipRequest, trunk: TrunkConfig | undefined): string {
  const from = parseNameAddr(request.headers.get('From') ?? '')?.uri ?? '';
  if (!trunk?.trusted) return from;
  // RFC 3325 §9.3 / RFC 3323: `id` asks that the asserted identity not reach the called party.
  const privacy = request.headers
    .getAll('Privacy')
    .flatMap((v) => v.split(';'))
    .map((v) => v.trim().toLowerCase());
  if (privacy.includes('id')) return ANONYMOUS_CALLER;
  for (const value of request.headers.getAll('P-Asserted-Identity')) {
    const asserted = parseNameAddr(value)?.uri;
    if (asserted !== undefined && parseUri(asserted) !== undefined) return asserted;
  }
  return from;
}

function routingValues(request: SipRequest, name: string): string[] | undefined {
  const values = request.headers.getAll(name);
  if (values.length === 0) return undefined;
  return values.slice(0, MAX_ROUTING_ENTRIES).map((v) => v.slice(0, MAX_ROUTING_LENGTH));
}
