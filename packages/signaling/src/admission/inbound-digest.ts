import type { TrunkConfig } from '@voicebridge/protocol';
import { DigestAuthenticator, type DigestAlgorithm, type SipRequest } from '@voicebridge/sip';
import type { Logger } from 'pino';
import type { TrunkDirectory } from './trunk-directory.ts';

/** RFC 3261 §22.1: the protection space we challenge in; one for every trunk, so it tells nothing. */
export const DIGEST_REALM = 'voicebridge';
/** How long a challenge's nonce is good for; older ones get stale=true. */
export const DIGEST_NONCE_LIFETIME_MS = 300_000;

export type DigestVerdict =
  { kind: 'authenticated'; trunk: TrunkConfig } | { kind: 'challenge'; headers: [string, string][] };

export interface InboundDigestOptions {
  directory: Pick<TrunkDirectory, 'isAllowed' | 'trunks'>;
  log: Logger;
  nonceLifetimeMs?: number;
  /** Challenges offered, preferred first; default SHA-256 then MD5. */
  algorithms?: readonly DigestAlgorithm[];
}

/**
 * Inbound digest for trunks with `auth`: an INVITE from such a trunk's sources, or
 * (for a trunk with auth and no sources) from any source outside every trunk and SIP_ALLOWED_CIDRS,
 * must carry valid credentials, else it gets 401 with a challenge. Unknown users and wrong passwords
 * get the same 401; only the log line (ending `from <IP>`) tells the operator which it was.
 */
export class InboundDigest {
  readonly #options: InboundDigestOptions;
  readonly #authenticator: DigestAuthenticator;

  constructor(options: InboundDigestOptions) {
    this.#options = options;
    this.#authenticator = new DigestAuthenticator({
      realm: DIGEST_REALM,
      nonceLifetimeMs: options.nonceLifetimeMs ?? DIGEST_NONCE_LIFETIME_MS,
      algorithms: options.algorithms,
    });
  }

  /** Undefined when digest does not apply to this INVITE (an IP-authenticated trunk, SIP_ALLOWED_CIDRS). */
  check(request: SipRequest, address: string, bySource: TrunkConfig | undefined): DigestVerdict | undefined {
    let candidates: TrunkConfig[];
    if (bySource !== undefined) {
      if (bySource.auth === undefined) return undefined;
      candidates = [bySource];
    } else {
      if (this.#options.directory.isAllowed(address)) return undefined;
      candidates = this.#options.directory.trunks.filter(
        (t) => t.enabled && t.auth !== undefined && t.sources.length === 0,
      );
      if (candidates.length === 0) return undefined;
    }
    const outcome = this.#authenticator.verify(request.method, request.headers, (username) => {
      const trunk = candidates.find((t) => t.auth?.username === username);
      return trunk?.auth === undefined ? undefined : { username, password: trunk.auth.password, trunk };
    });
    if (outcome.ok) return { kind: 'authenticated', trunk: outcome.account.trunk };
    if (outcome.failure === 'missing' || outcome.failure === 'stale-nonce') {
      this.#options.log.debug(
        { source: address, failure: outcome.failure },
        `SIP INVITE challenged (401) from ${address}`,
      );
    } else {
      const user = outcome.username === undefined ? '' : ` for user ${JSON.stringify(outcome.username.slice(0, 64))}`;
      this.#options.log.warn(
        { source: address, failure: outcome.failure },
        `SIP digest authentication failed (${outcome.failure})${user}: 401 from ${address}`,
      );
    }
    return { kind: 'challenge', headers: outcome.challenge };
  }
}
