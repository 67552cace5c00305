import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface DigestNoncesOptions {
  /** A nonce older than this is stale (RFC 7616 §3.3: answered with stale=true). */
  lifetimeMs: number;
  /** HMAC key; a fresh random one per process when absent. */
  secret?: Buffer;
  now?: () => number;
}

export type NonceCheck = 'valid' | 'stale' | 'invalid';

const TIMESTAMP_BYTES = 8;
const MAC_BYTES = 16;

/**
 * Stateless nonces (RFC 7616 §3.3 suggests "time-stamp H(time-stamp ":" ETag ":" secret-data)"):
 * base64url(issued-at ms || HMAC-SHA256(secret, issued-at || realm)[0..16]). Checking one needs no
 * table; only nonces we issued verify, and their age decides `stale`.
 */
export class DigestNonces {
  readonly #secret: Buffer;
  readonly #lifetimeMs: number;
  readonly #now: () => number;

  constructor(options: DigestNoncesOptions) {
    this.#secret = options.secret ?? randomBytes(32);
    this.#lifetimeMs = options.lifetimeMs;
    this.#now = options.now ?? Date.now;
  }

  issue(realm: string): string {
    const stamp = Buffer.alloc(TIMESTAMP_BYTES);
    stamp.writeBigUInt64BE(BigInt(Math.floor(this.#now())));
    return Buffer.concat([stamp, this.#mac(stamp, realm)]).toString('base64url');
  }

  check(nonce: string, realm: string): NonceCheck {
    if (nonce.length > 64 || !/^[A-Za-z0-9_-]+$/.test(nonce)) return 'invalid';
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== TIMESTAMP_BYTES + MAC_BYTES) return 'invalid';
    const stamp = bytes.subarray(0, TIMESTAMP_BYTES);
    if (!timingSafeEqual(bytes.subarray(TIMESTAMP_BYTES), this.#mac(stamp, realm))) return 'invalid';
    const age = this.#now() - Number(stamp.readBigUInt64BE());
    return age >= 0 && age <= this.#lifetimeMs ? 'valid' : 'stale';
  }

  #mac(stamp: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.#secret).update(stamp).update(realm).digest().subarray(0, MAC_BYTES);
  }
}
