import { isIP } from 'node:net';
import { VoicebridgeError } from '@voicebridge/protocol';
import { parseUri, type Endpoint } from '@voicebridge/sip';

/** Where the INVITE goes and how it is addressed: resolved from the trunk (or given by a test). */
export interface OutboundTarget {
  /** The INVITE's Request-URI, e.g. `sip:+15550777@carrier.example:5060`. */
  requestUri: string;
  /** The next hop: the trunk's outbound proxy or registrar, or the URI's host. */
  destination: Endpoint;
  /** Answers a 401/407 to the INVITE once (the trunk's outbound credentials). */
  credentials?: { username: string; password: string };
  /** A preloaded route set (RFC 3261 §8.1.2), name-addrs. */
  routes?: readonly string[];
  /** RFC 4028 Session-Expires to offer instead of the bridge's (the trunk's `outbound.sessionExpiresS`). */
  sessionExpiresS?: number;
  /** Our From user when the carrier wants an account id there instead of the caller id. */
  fromUser?: string;
}

export interface DialHooks {
  /** Cancels the attempt before the answer (an operator): CANCEL per RFC 3261 §9.1. */
  signal?: AbortSignal;
  /** Called right before the first INVITE leaves (the dial worker writes `inviteSentAt` there). */
  onInviteSending?: () => void | Promise<void>;
  /** Where to send the INVITE, instead of the trunk's own route (a direct peer; tests). */
  target?: OutboundTarget;
}

/**
 * The target for a SIP URI whose host is an IP literal (`sip:user@192.0.2.7:5070;transport=tcp`):
 * no DNS, so it is for direct peers and tests; trunks resolve theirs (trunk-target.ts).
 */
export function targetFromUri(uri: string): OutboundTarget {
  const parsed = parseUri(uri);
  const host = parsed?.host.replace(/^\[|\]$/g, '');
  if (!parsed || !host || isIP(host) === 0)
    throw new VoicebridgeError('VB_CONFIG_INVALID', `dial target ${uri}: a sip: URI with an IP address is needed`);
  const param = parsed.params.get('transport')?.toLowerCase();
  const transport: Endpoint['transport'] =
    parsed.scheme === 'sips' || param === 'tls' ? 'tls' : param === 'tcp' ? 'tcp' : 'udp';
  return {
    requestUri: uri,
    destination: { address: host, port: parsed.port ?? (transport === 'tls' ? 5061 : 5060), transport },
  };
}
