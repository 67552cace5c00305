import { createHash } from 'node:crypto';

/** RFC 7616 §3.3 / RFC 8760 §2.2: the algorithms we challenge with, preferred first (RFC 8760 §2.4). */
export const DIGEST_ALGORITHMS = ['SHA-256', 'MD5'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** The parameters of a `Digest` credentials or challenge header, names lower-cased, quotes removed. */
export type DigestParams = Map<string, string>;

const MAX_HEADER_CHARS = 4096;
const MAX_PARAMS = 32;

/**
 * Reads `Digest k1=v1, k2="v 2", ...` (RFC 3261 §25.1 digest-response / challenge; RFC 7616 §3.4).
 * Returns undefined for another scheme or anything malformed; never throws.
 *
 *   Authorization: Digest username="alice", realm="voicebridge", nonce="…", uri="sip:+1555@host",
 *                  response="…", algorithm=SHA-256, cnonce="…", qop=auth, nc=00000001
 */
export function parseDigest(header: string): DigestParams | undefined {
  if (header.length > MAX_HEADER_CHARS) return undefined;
  const match = /^\s*Digest\s+/i.exec(header);
  if (!match) return undefined;
  const params: DigestParams = new Map();
  let rest = header.slice(match[0].length);
  for (let i = 0; i < MAX_PARAMS && rest.trim() !== ''; i++) {
    const pair = /^\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)/.exec(rest);
    if (!pair) return undefined;
    const name = (pair[1] as string).toLowerCase();
    const value = pair[2] !== undefined ? pair[2].replace(/\\(.)/g, '$1') : (pair[3] as string);
    if (params.has(name)) return undefined; // RFC 7616 §3.4: each directive at most once
    params.set(name, value);
    rest = rest.slice(pair[0].length);
  }
  return rest.trim() === '' ? params : undefined;
}

export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text, 'utf8')
    .digest('hex');
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** With qop=auth (RFC 7616 §3.4.1); without it the RFC 2069 form of RFC 3261 §22.4. */
  qop?: { nc: string; cnonce: string };
}

/**
 * The request-digest (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1):
 *   A1 = username ":" realm ":" password           A2 = Method ":" request-uri
 *   qop=auth:  response = H(H(A1) ":" nonce ":" nc ":" cnonce ":" "auth" ":" H(A2))
 *   no qop:    response = H(H(A1) ":" nonce ":" H(A2))
 */
export function digestResponse(input: DigestInput): string {
  const ha1 = digestHash(input.algorithm, `${input.username}:${input.realm}:${input.password}`);
  const ha2 = digestHash(input.algorithm, `${input.method}:${input.uri}`);
  if (input.qop === undefined) return digestHash(input.algorithm, `${ha1}:${input.nonce}:${ha2}`);
  return digestHash(input.algorithm, `${ha1}:${input.nonce}:${input.qop.nc}:${input.qop.cnonce}:auth:${ha2}`);
}

/** `algorithm=` as RFC 7616 §3.3 spells it; absent means MD5 (RFC 3261 §22.4). */
export function readAlgorithm(params: DigestParams): DigestAlgorithm | undefined {
  const value = params.get('algorithm');
  if (value === undefined) return 'MD5';
  return DIGEST_ALGORITHMS.find((name) => name.toLowerCase() === value.toLowerCase());
}

/** Quoted-string value for a header (RFC 3261 §25.1: `"` and `\` escaped). */
export function quoted(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}
