import { isIP } from 'node:net';
import { cidrContains, parseCidrList, type Cidr } from './bridge-config.ts';

/**
 * The outbound URL policy's pure half: what a user-supplied URL (webhook tools, model base URLs,
 * bots, engines, event hooks) may point at, decided from the URL and from addresses alone. The half
 * that resolves names and connects only to checked addresses is `@voicebridge/outbound`.
 *
 * Why: whoever can set a number makes the agent send requests (with a key, with call data) from
 * inside the operator's network. Cloud metadata services hand out credentials to any local caller,
 * link-local addresses are never a public service, and plain http leaks the key to the path.
 */

/** `http` for HTTP requests (https, or http where allowed); `websocket` for sockets (wss, or ws). */
export type OutboundUrlKind = 'http' | 'websocket';

export interface OutboundUrlRules {
  /** The number allows plain http/ws to any host the rest of the policy allows (its `insecure` flag). */
  insecure: boolean;
  /** OUTBOUND_DENY_CIDRS: the operator's own refused ranges, besides the built-in ones. */
  denyCidrs: readonly Cidr[];
}

/** A URL the static check passed: the parsed URL and its host as a bare name or address. */
export interface CheckedOutboundUrl {
  url: URL;
  /** IPv6 without brackets, no trailing dot, lower case. */
  host: string;
  /** Plain http/ws without `insecure`: every address the host resolves to must be loopback. */
  loopbackOnly: boolean;
}

const SCHEMES: Record<OutboundUrlKind, { secure: string; plain: string }> = {
  http: { secure: 'https:', plain: 'http:' },
  websocket: { secure: 'wss:', plain: 'ws:' },
};

/**
 * Instance metadata services: AWS, GCP, Azure, DigitalOcean, Oracle (169.254.169.254, inside the
 * link-local range, named for a clearer refusal), AWS over IPv6 (fd00:ec2::254), Alibaba
 * (100.100.100.200, outside every private range).
 */
const METADATA_CIDRS = parseCidrList('169.254.169.254/32,fd00:ec2::254/128,100.100.100.200/32');
/** Names that reach a metadata service from inside a cloud without any DNS of ours. */
const METADATA_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
]);
const LINK_LOCAL_CIDRS = parseCidrList('169.254.0.0/16,fe80::/10');
/** No server is there: 0.0.0.0 and :: reach the local host on Linux, multicast and broadcast no one. */
const UNUSABLE_CIDRS = parseCidrList('0.0.0.0/8,::/128,224.0.0.0/4,255.255.255.255/32,ff00::/8');
const LOOPBACK_CIDRS = parseCidrList('127.0.0.0/8,::1/128');

/** Why an address may not be connected to, or undefined when it may. */
export function refusedAddressReason(address: string, denyCidrs: readonly Cidr[]): string | undefined {
  const embedded = embeddedIpv4(address);
  if (embedded !== undefined) {
    const reason = refusedAddressReason(embedded, denyCidrs);
    if (reason !== undefined) return `${reason}, written as ${address}`;
  }
  if (cidrContains(METADATA_CIDRS, address)) return `${address} is a cloud metadata address`;
  if (cidrContains(LINK_LOCAL_CIDRS, address)) return `${address} is a link-local address`;
  if (cidrContains(UNUSABLE_CIDRS, address)) return `${address} is not a unicast address`;
  if (cidrContains(denyCidrs, address)) return `${address} is in OUTBOUND_DENY_CIDRS`;
  return undefined;
}

export function isLoopbackAddress(address: string): boolean {
  return cidrContains(LOOPBACK_CIDRS, embeddedIpv4(address) ?? address);
}

/**
 * The IPv4 address inside an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96, RFC 6052) IPv6
 * address, in any spelling: both reach that IPv4 host, so both are judged as it.
 */
function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  // The URL parser writes every IPv6 address one canonical way (RFC 5952): ::ffff:a9fe:a9fe.
  const canonical = new URL(`http://[${address}]/`).hostname;
  const match = /^\[(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(canonical);
  if (!match) return undefined;
  const high = Number.parseInt(match[1] ?? '0', 16);
  const low = Number.parseInt(match[2] ?? '0', 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** `localhost` and `*.localhost` always name the local host (RFC 6761 §6.3). */
export function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/**
 * The static check, at `numbers set` and before every connect: scheme, credentials, metadata
 * names, and the address when the host is one. Returns the refusal as a sentence naming the URL's
 * host (never its path or query, which may carry a token), or the checked URL.
 */
export function checkOutboundUrl(
  text: string,
  kind: OutboundUrlKind,
  rules: OutboundUrlRules,
): CheckedOutboundUrl | { refused: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { refused: 'is not a URL' };
  }
  const schemes = SCHEMES[kind];
  if (url.protocol !== schemes.secure && url.protocol !== schemes.plain)
    return { refused: `must be ${schemes.secure.slice(0, -1)}:// (got ${url.protocol}//)` };
  if (url.username !== '' || url.password !== '') return { refused: 'must not carry credentials' };
  // WHATWG URL parsing already turned 0xA9FEA9FE, 2852039166 and 0251.0376.0251.0376 into 169.254.169.254.
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (METADATA_HOSTNAMES.has(host)) return { refused: `${host} is a cloud metadata name` };
  const literal = isIP(host) !== 0;
  if (literal) {
    const reason = refusedAddressReason(host, rules.denyCidrs);
    if (reason !== undefined) return { refused: reason };
  }
  const plain = url.protocol === schemes.plain;
  const local = literal ? isLoopbackAddress(host) : isLocalhostName(host);
  if (plain && !rules.insecure && !local) {
    return {
      refused:
        `must be ${schemes.secure.slice(0, -1)}:// (${schemes.plain.slice(0, -1)}:// only to localhost, ` +
        `or on a number marked insecure)`,
    };
  }
  return { url, host, loopbackOnly: plain && !rules.insecure };
}
