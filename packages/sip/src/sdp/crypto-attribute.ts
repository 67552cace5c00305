import { SRTP_SUITES, type SrtpSuiteName } from '@voicebridge/protocol';
import type { MediaDescription } from 'sdp-transform';

/** The a=crypto line we accept (RFC 4568 §9.1), with the offerer's key. */
export interface OfferedCrypto {
  /** The offer's tag: the answer's a=crypto carries the same one (§5.1.2). */
  tag: number;
  suite: SrtpSuiteName;
  /** base64 of the 16-byte master key and 14-byte salt the offerer sends with. */
  keyBase64: string;
}

/** Ours, for the answer. */
export type AnswerCrypto = OfferedCrypto;

/**
 * The first acceptable a=crypto of an RTP/SAVP stream, in the offerer's order (RFC 4568 §7.1.1):
 *
 *   a=crypto:<tag> <crypto-suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>] [session params]
 *
 * Refused: suites other than ours, keys that are not 30 bytes, several keys for one tag or an MKI
 * (our packets carry no MKI field), and any session parameter (§6.3: KDR, UNENCRYPTED_SRTP/SRTCP,
 * UNAUTHENTICATED_SRTP, FEC_ORDER, WSH) — an unknown or changed default we cannot honour.
 */
export function chooseCrypto(media: MediaDescription): OfferedCrypto | undefined {
  for (const line of media.crypto ?? []) {
    const tag = Number(line.id);
    if (!Number.isInteger(tag) || tag < 0 || tag > 999_999_999) continue;
    const suite = SRTP_SUITES.find((name) => name === String(line.suite).toUpperCase());
    if (suite === undefined) continue;
    if (line.sessionConfig !== undefined && String(line.sessionConfig).trim() !== '') continue;
    const keyBase64 = inlineKey(String(line.config ?? ''));
    if (keyBase64 !== undefined) return { tag, suite, keyBase64 };
  }
  return undefined;
}

function inlineKey(config: string): string | undefined {
  if (config.includes(';')) return undefined; // several key-params (§9.1): only with MKIs
  const match = /^inline:([A-Za-z0-9+/]+={0,2})((?:\|[^|]*){0,2})$/.exec(config.trim());
  if (!match) return undefined;
  const [, key = '', rest = ''] = match;
  const parts = rest.split('|').slice(1);
  for (const part of parts) {
    if (part.includes(':')) return undefined; // MKI:length
    if (!/^(?:2\^[0-9]{1,2}|[0-9]{1,20})$/.test(part)) return undefined; // lifetime
  }
  if (Buffer.from(key, 'base64').length !== 30 || key.length !== 40) return undefined;
  return key;
}

/** The answer's line (RFC 4568 §5.1.2): the offer's tag and suite with our own key. */
export function formatCrypto(crypto: AnswerCrypto): string {
  return `a=crypto:${crypto.tag} ${crypto.suite} inline:${crypto.keyBase64}`;
}
