import { randomBytes } from 'node:crypto';
import { digestResponse, parseDigest, quoted, readAlgorithm, type DigestAlgorithm } from './digest-credentials.ts';

export interface DigestClientCredentials {
  username: string;
  password: string;
}

export interface DigestAnswer {
  /** `Authorization` for a 401, `Proxy-Authorization` for a 407 (RFC 3261 §22.3). */
  header: 'Authorization' | 'Proxy-Authorization';
  value: string;
  realm: string;
  algorithm: DigestAlgorithm;
  stale: boolean;
}

/**
 * A UAC's answer to a 401/407 (RFC 3261 §22.2–22.3, RFC 7616 §3.4): the first challenge, in the
 * order the server listed them, whose algorithm we support (RFC 8760 §2.4). qop=auth when offered
 * (with a fresh cnonce and the nonce count given), the RFC 2069 form otherwise.
 */
export function answerDigestChallenge(
  status: 401 | 407,
  challenges: readonly string[],
  credentials: DigestClientCredentials,
  request: { method: string; uri: string },
  nonceCount = 1,
): DigestAnswer | undefined {
  for (const challenge of challenges) {
    const params = parseDigest(challenge);
    if (params === undefined) continue;
    const algorithm = readAlgorithm(params);
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    if (algorithm === undefined || realm === undefined || nonce === undefined) continue;
    const qops = (params.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
    const useQop = qops.includes('auth');
    const nc = nonceCount.toString(16).padStart(8, '0');
    const cnonce = randomBytes(12).toString('hex');
    const response = digestResponse({
      algorithm,
      username: credentials.username,
      realm,
      password: credentials.password,
      method: request.method,
      uri: request.uri,
      nonce,
      ...(useQop && { qop: { nc, cnonce } }),
    });
    const parts = [
      `username=${quoted(credentials.username)}`,
      `realm=${quoted(realm)}`,
      `nonce=${quoted(nonce)}`,
      `uri=${quoted(request.uri)}`,
      `response=${quoted(response)}`,
      `algorithm=${algorithm}`,
    ];
    const opaque = params.get('opaque');
    if (opaque !== undefined) parts.push(`opaque=${quoted(opaque)}`);
    if (useQop) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quoted(cnonce)}`);
    return {
      header: status === 407 ? 'Proxy-Authorization' : 'Authorization',
      value: `Digest ${parts.join(', ')}`,
      realm,
      algorithm,
      stale: params.get('stale')?.toLowerCase() === 'true',
    };
  }
  return undefined;
}
