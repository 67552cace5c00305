import { networkInterfaces } from 'node:os';
import {
  advertisedRtpAddress,
  cidrContains,
  isLoopbackAddress,
  mediaControlEndpoints,
  parseCidr,
  parseCidrList,
  type BridgeConfig,
  type Cidr,
} from '@voicebridge/protocol';

export interface MediaTargetPolicyOptions {
  /**
   * This host's addresses and the bridge's own service addresses (advertised SIP and RTP, HTTP):
   * an offer naming one of them points our media at ourselves (Redis, the control port…).
   */
  ownAddresses: readonly string[];
  /** The directed broadcast addresses of this host's networks (192.168.1.255 for a /24). */
  broadcastAddresses?: readonly string[];
}

const LINK_LOCAL = parseCidrList('169.254.0.0/16,fe80::/10');
/** RFC 919 limited broadcast, RFC 1112 class E (never a host), RFC 1122 "this network" 0/8. */
const BROADCAST_OR_RESERVED = parseCidrList('255.255.255.255/32,240.0.0.0/4,0.0.0.0/8');
/** RFC 3264 §8.4 (RFC 2543 hold): c=0.0.0.0 or :: means "do not send", never a destination. */
const HOLD_ADDRESSES = new Set(['0.0.0.0', '::']);
const WARN_AGENT = 'voicebridge';

/**
 * Which addresses an SDP offer may name as the place our RTP and RTCP go (RFC 3261 §20.43 Warning
 * codes on the 488). A caller decides where a bridge sends its media, so an offer is a way to aim our
 * packets at any host and port — found by probing: an offer naming 127.0.0.1:6379 drew RTCP to Redis's
 * neighbour port, and c=IN IP4 255.255.255.255 was answered 200 OK. Media never sends before the
 * peer's own packets latch the path (rtp-latch.ts in media); this refuses the offer up front, so the
 * call is not set up at all:
 *   - broadcast (limited, class E, this host's directed broadcasts): always 488;
 *   - loopback, link-local and this host's own addresses: 488 unless the INVITE itself came from this
 *     host (loopback or one of our addresses: a PBX or a test on the same machine).
 * Multicast is refused by the SDP reader itself (parseOffer, 488/300).
 */
export class MediaTargetPolicy {
  readonly #own: Cidr[];
  readonly #broadcast: Cidr[];

  constructor(options: MediaTargetPolicyOptions) {
    this.#own = hostCidrs(options.ownAddresses);
    this.#broadcast = [...BROADCAST_OR_RESERVED, ...hostCidrs(options.broadcastAddresses ?? [])];
  }

  /** The Warning header value that refuses `target` for an INVITE from `sipSource`, or undefined. */
  refusal(target: string, sipSource: string): string | undefined {
    if (HOLD_ADDRESSES.has(target)) return undefined;
    if (cidrContains(this.#broadcast, target))
      return warning(300, `Incompatible network protocol: ${target} is a broadcast address`);
    if (this.#isLocal(sipSource)) return undefined;
    if (isLoopbackAddress(target)) return warning(399, `media to the loopback address ${target} is refused`);
    if (cidrContains(LINK_LOCAL, target)) return warning(399, `media to the link-local address ${target} is refused`);
    if (cidrContains(this.#own, target)) return warning(399, `media to this bridge's own address ${target} is refused`);
    return undefined;
  }

  #isLocal(address: string): boolean {
    return isLoopbackAddress(address) || cidrContains(this.#own, address);
  }
}

/** This host's interface addresses and their networks' directed broadcast addresses (IPv4). */
export function hostAddresses(): { own: string[]; broadcast: string[] } {
  const own: string[] = [];
  const broadcast: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      own.push(entry.address);
      if (entry.family !== 'IPv4' || entry.internal) continue;
      const address = ipv4Bits(entry.address);
      const mask = ipv4Bits(entry.netmask);
      // A /31 or /32 has no broadcast address (RFC 3021).
      if (address === undefined || mask === undefined || mask >>> 0 >= 0xfffffffe) continue;
      broadcast.push(ipv4Text((address | ~mask) >>> 0));
    }
  }
  return { own, broadcast };
}

function hostCidrs(addresses: readonly string[]): Cidr[] {
  return addresses.flatMap((address) => {
    if (HOLD_ADDRESSES.has(address)) return []; // a wildcard bind address is not a destination
    const cidr = parseCidr(address.replace(/%.*$/, '')); // fe80::1%eth0: the zone is not part of the address
    return cidr ? [cidr] : [];
  });
}

function ipv4Bits(text: string): number | undefined {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((acc, p) => ((acc << 8) | p) >>> 0, 0);
}

function ipv4Text(bits: number): string {
  return [bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff].join('.');
}

function warning(code: number, text: string): string {
  return `${code} ${WARN_AGENT} "${text}"`;
}

/** This host's addresses and every address the bridge's own services use are not media targets. */
export function bridgeMediaTargetPolicy(config: BridgeConfig, advertisedSip: string): MediaTargetPolicy {
  const host = hostAddresses();
  return new MediaTargetPolicy({
    ownAddresses: [
      ...host.own,
      advertisedSip,
      advertisedRtpAddress(config),
      config.SIP_BIND_ADDRESS,
      config.RTP_BIND_ADDRESS,
      config.HTTP_BIND_ADDRESS,
      ...mediaControlEndpoints(config).map((endpoint) => endpoint.host),
    ],
    broadcastAddresses: host.broadcast,
  });
}
