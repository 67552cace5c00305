import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import {
  checkOutboundUrl,
  isLoopbackAddress,
  refusedAddressReason,
  VoicebridgeError,
  type CheckedOutboundUrl,
  type Cidr,
  type OutboundUrlKind,
} from '@voicebridge/protocol';

/** Every address a name resolves to (both families), as `dns.lookup(name, {all: true})` gives them. */
export type Resolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export interface OutboundPolicyOptions {
  /** OUTBOUND_DENY_CIDRS, parsed: refused besides link-local and cloud metadata. */
  denyCidrs: readonly Cidr[];
  /** Name resolution; the system resolver (`dns.lookup`, as a socket connect uses) by default. */
  resolve?: Resolver;
}

/** A user-supplied URL the policy refuses: a config problem of the number, never retried. */
export class OutboundRefusedError extends VoicebridgeError {
  constructor(what: string, reason: string) {
    super('VB_CONFIG_INVALID', `${what} refused by the outbound URL policy: ${reason}`);
    this.name = 'OutboundRefusedError';
  }
}

/**
 * The outbound URL policy with names resolved: the static check of `checkOutboundUrl`, then every
 * address the host resolves to is checked, and the socket connects only to those checked addresses
 * (`lookup()` is handed to the connect), so a name that answers differently the second time (DNS
 * rebinding) never reaches a refused address. A name with any refused address is refused whole:
 * a connect that falls back from one address to the next would otherwise reach it.
 */
export class OutboundPolicy {
  readonly #denyCidrs: readonly Cidr[];
  readonly #resolve: Resolver;

  constructor(options: OutboundPolicyOptions) {
    this.#denyCidrs = options.denyCidrs;
    this.#resolve = options.resolve ?? ((hostname) => dnsLookup(hostname, { all: true, verbatim: true }));
  }

  /** The static check; throws `OutboundRefusedError` naming `what` (e.g. `webhook tool lookup`). */
  check(text: string, kind: OutboundUrlKind, insecure: boolean, what = 'URL'): CheckedOutboundUrl {
    const checked = checkOutboundUrl(text, kind, { insecure, denyCidrs: this.#denyCidrs });
    if ('refused' in checked) throw new OutboundRefusedError(what, checked.refused);
    return checked;
  }

  /**
   * The host's addresses, each one checked. Throws `OutboundRefusedError` for a refused one, the
   * resolver's own error (ENOTFOUND…) when the name does not resolve. A literal address is its own.
   */
  async addresses(checked: CheckedOutboundUrl, what = 'URL'): Promise<{ address: string; family: number }[]> {
    const { host } = checked;
    const family = isIP(host);
    if (family !== 0) return [{ address: host, family }];
    const found = await this.#resolve(host);
    if (found.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
    for (const { address } of found) {
      const reason = refusedAddressReason(address, this.#denyCidrs);
      if (reason !== undefined) throw new OutboundRefusedError(what, `${host} resolves to ${reason}`);
      if (checked.loopbackOnly && !isLoopbackAddress(address)) {
        throw new OutboundRefusedError(
          what,
          `${host} resolves to ${address}, not a loopback address: plain ${checked.url.protocol}// only to localhost`,
        );
      }
    }
    return [...found];
  }

  /** The `lookup` of a socket connect to `checked`'s host: only addresses `addresses()` passed. */
  lookup(checked: CheckedOutboundUrl, what = 'URL'): LookupFunction {
    return (hostname, options, callback) => {
      const done = callback as (error: Error | null, address: unknown, family?: number) => void;
      if (
        hostname
          .replace(/^\[|\]$/g, '')
          .replace(/\.$/, '')
          .toLowerCase() !== checked.host
      ) {
        done(new OutboundRefusedError(what, `connect to ${hostname}, not the checked ${checked.host}`), '', 4);
        return;
      }
      this.addresses(checked, what).then(
        (found) => {
          const wanted =
            options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
          const first = wanted[0];
          if (first === undefined) {
            done(
              Object.assign(new Error(`${hostname} has no IPv${String(options.family)} address`), {
                code: 'ENOTFOUND',
              }),
              '',
              4,
            );
          } else if (options.all === true) done(null, wanted);
          else done(null, first.address, first.family);
        },
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error)), '', 4),
      );
    };
  }
}
