import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SipHeaders } from '../messages/sip-headers.ts';
import {
  DIGEST_ALGORITHMS,
  digestResponse,
  parseDigest,
  quoted,
  readAlgorithm,
  type DigestAlgorithm,
  type DigestParams,
} from './digest-credentials.ts';
import { DigestNonces } from './digest-nonce.ts';

export interface DigestAccount {
  username: string;
  password: string;
}

export interface DigestAuthenticatorOptions {
  realm: string;
  /** How long a nonce we issued is accepted; then `stale=true` (RFC 7616 §3.3). */
  nonceLifetimeMs: number;
  /** Challenges offered, preferred first; default SHA-256 then MD5 (RFC 8760 §2.4). */
  algorithms?: readonly DigestAlgorithm[];
  secret?: Buffer;
  now?: () => number;
}

/** Why credentials failed: for the operator's log only, never for the peer (all get the same 401). */
export type DigestFailure =
  'missing' | 'malformed' | 'unknown-user' | 'wrong-password' | 'stale-nonce' | 'bad-nonce' | 'replayed';

export type DigestOutcome<T extends DigestAccount> =
  { ok: true; account: T } | { ok: false; failure: DigestFailure; username?: string; challenge: [string, string][] };

/** Nonce counts remembered for replay checks (RFC 7616 §3.4.5); oldest forgotten first. */
const MAX_TRACKED_NONCES = 10_000;

/**
 * UAS digest authentication (RFC 3261 §22.2, RFC 7616, RFC 8760): issues 401 challenges with one
 * WWW-Authenticate per algorithm, checks an Authorization header against the accounts `lookup` knows.
 * An unknown user and a wrong password get byte-for-byte the same kind of challenge (only the nonce
 * differs), and both cost the same hashing, so a scanner learns nothing about which names exist.
 */
export class DigestAuthenticator {
  readonly realm: string;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #nonces: DigestNonces;
  readonly #lastNc = new Map<string, number>();

  constructor(options: DigestAuthenticatorOptions) {
    this.realm = options.realm;
    this.#algorithms = options.algorithms ?? DIGEST_ALGORITHMS;
    this.#nonces = new DigestNonces({ lifetimeMs: options.nonceLifetimeMs, secret: options.secret, now: options.now });
  }

  /** The WWW-Authenticate headers of a 401 (RFC 7616 §3.3); `stale` when only the nonce was old. */
  challenge(stale = false): [string, string][] {
    const nonce = this.#nonces.issue(this.realm);
    return this.#algorithms.map((algorithm) => [
      'WWW-Authenticate',
      `Digest realm=${quoted(this.realm)}, nonce=${quoted(nonce)}, algorithm=${algorithm}, qop="auth"${stale ? ', stale=true' : ''}`,
    ]);
  }

  verify<T extends DigestAccount>(
    method: string,
    headers: SipHeaders,
    lookup: (username: string) => T | undefined,
  ): DigestOutcome<T> {
    const credentials = headers
      .getAll('Authorization')
      .map((value) => parseDigest(value))
      .find((params) => params?.get('realm') === this.realm);
    if (credentials === undefined) {
      return this.#fail(headers.has('Authorization') ? 'malformed' : 'missing');
    }
    const fields = readFields(credentials);
    if (fields === undefined) return this.#fail('malformed');
    const { username, nonce } = fields;
    if (!this.#algorithms.includes(fields.algorithm)) return this.#fail('malformed', username);
    const nonceState = this.#nonces.check(nonce, this.realm);
    if (nonceState === 'invalid') return this.#fail('bad-nonce', username);
    const account = lookup(username);
    // An unknown user costs the same hashing as a known one.
    const password = account?.password ?? randomBytes(16).toString('hex');
    const expected = digestResponse({ ...fields, realm: this.realm, password, method });
    const matches =
      expected.length === fields.response.length &&
      timingSafeEqual(Buffer.from(expected), Buffer.from(fields.response.toLowerCase()));
    if (account === undefined) return this.#fail('unknown-user', username);
    if (!matches) return this.#fail('wrong-password', username);
    // RFC 7616 §3.3: right password, old nonce → a new challenge with stale=true, no new password prompt.
    if (nonceState === 'stale') return this.#fail('stale-nonce', username, true);
    if (fields.qop !== undefined && !this.#freshCount(nonce, fields.qop.nc)) return this.#fail('replayed', username);
    return { ok: true, account };
  }

  #freshCount(nonce: string, ncText: string): boolean {
    const nc = Number.parseInt(ncText, 16);
    const last = this.#lastNc.get(nonce);
    if (last !== undefined && nc <= last) return false;
    this.#lastNc.delete(nonce);
    this.#lastNc.set(nonce, nc);
    if (this.#lastNc.size > MAX_TRACKED_NONCES) this.#lastNc.delete(this.#lastNc.keys().next().value as string);
    return true;
  }

  #fail<T extends DigestAccount>(failure: DigestFailure, username?: string, stale = false): DigestOutcome<T> {
    const outcome: DigestOutcome<T> = { ok: false, failure, challenge: this.challenge(stale) };
    if (username !== undefined) outcome.username = username;
    return outcome;
  }
}

interface CredentialFields {
  algorithm: DigestAlgorithm;
  username: string;
  nonce: string;
  uri: string;
  response: string;
  qop?: { nc: string; cnonce: string };
}

function readFields(params: DigestParams): CredentialFields | undefined {
  const algorithm = readAlgorithm(params);
  const username = params.get('username');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (algorithm === undefined || !username || !nonce || !uri || !response || !/^[0-9A-Fa-f]{32,64}$/.test(response))
    return undefined;
  const fields: CredentialFields = { algorithm, username, nonce, uri, response };
  const qop = params.get('qop');
  if (qop !== undefined) {
    const nc = params.get('nc');
    const cnonce = params.get('cnonce');
    // RFC 7616 §3.4: with qop, nc is 8 hex digits and cnonce is required; we offer only "auth".
    if (qop.toLowerCase() !== 'auth' || nc === undefined || !/^[0-9A-Fa-f]{8}$/.test(nc) || !cnonce) return undefined;
    fields.qop = { nc, cnonce };
  }
  return fields;
}
