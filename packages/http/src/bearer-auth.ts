import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-errors.ts';

/** Who may call a route: anyone, a holder of the read or the admin token, or of the admin token only. */
export type Realm = 'public' | 'read' | 'admin';

export interface BearerAuthOptions {
  adminToken?: string | undefined;
  readToken?: string | undefined;
  /** Failed attempts one source may make per window before it is refused outright. Default 10. */
  maxFailures?: number;
  /** Default 60 s. */
  failureWindowMs?: number;
  /** Sources remembered at once; the oldest are forgotten first. Default 10,000. */
  maxSources?: number;
  nowMs?: () => number;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Bearer tokens (RFC 6750 §2.1) with two realms. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`, so neither the token's content nor its length leaks through timing. A source
 * that keeps failing is refused with 429 for the rest of its window, right token or not: guessing
 * stays slow whatever the attacker's bandwidth.
 */
export class BearerAuth {
  readonly #admin: Buffer | undefined;
  readonly #read: Buffer | undefined;
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxSources: number;
  readonly #nowMs: () => number;
  /** Per source: failures in the window that started at `sinceMs`. Insertion order = age. */
  readonly #failures = new Map<string, { count: number; sinceMs: number }>();

  constructor(options: BearerAuthOptions) {
    this.#admin = options.adminToken ? digest(options.adminToken) : undefined;
    this.#read = options.readToken ? digest(options.readToken) : undefined;
    this.#maxFailures = options.maxFailures ?? 10;
    this.#windowMs = options.failureWindowMs ?? 60_000;
    this.#maxSources = options.maxSources ?? 10_000;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** Throws HttpError (401, 403 or 429) unless the Authorization header opens `realm`. */
  check(realm: Realm, authorization: string | undefined, source: string): void {
    if (realm === 'public') return;
    const now = this.#nowMs();
    const record = this.#failures.get(source);
    if (record !== undefined && now - record.sinceMs >= this.#windowMs) this.#failures.delete(source);
    else if (record !== undefined && record.count >= this.#maxFailures) {
      throw new HttpError('VB_RATE_LIMITED', 'too many failed authentication attempts from this address; try later');
    }
    const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/.exec(authorization ?? '');
    if (!match?.[1]) {
      this.#fail(source, now);
      throw new HttpError(
        'VB_UNAUTHORIZED',
        'missing bearer token: send Authorization: Bearer <token>',
        'authorization',
      );
    }
    const given = digest(match[1]);
    const isAdmin = this.#admin !== undefined && timingSafeEqual(given, this.#admin);
    const isRead = this.#read !== undefined && timingSafeEqual(given, this.#read);
    if (!isAdmin && !isRead) {
      this.#fail(source, now);
      throw new HttpError('VB_UNAUTHORIZED', 'invalid bearer token', 'authorization');
    }
    if (realm === 'admin' && !isAdmin) {
      throw new HttpError('VB_FORBIDDEN', 'this route needs the admin token; the read token only reads');
    }
  }

  #fail(source: string, now: number): void {
    const record = this.#failures.get(source);
    if (record !== undefined) {
      record.count++;
      return;
    }
    if (this.#failures.size >= this.#maxSources) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
    this.#failures.set(source, { count: 1, sinceMs: now });
  }
}
