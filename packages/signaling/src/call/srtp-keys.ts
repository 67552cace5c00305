import { randomBytes } from 'node:crypto';
import type { SrtpParams } from '@voicebridge/protocol';
import type { AcceptedOffer, AnswerCrypto } from '@voicebridge/sip';

/** RFC 4568 §6.1: AES_CM_128 key-info is a 128-bit master key followed by a 112-bit master salt. */
const MASTER_KEY_AND_SALT_BYTES = 30;

export interface CallSrtpKeys {
  /** For the media worker's allocate request. */
  params: SrtpParams;
  /** For our answer's a=crypto. */
  answer: AnswerCrypto;
}

/**
 * A fresh key of our own for an RTP/SAVP offer (RFC 4568 §6.1: each direction has its own key; never
 * echo the offerer's), from the CSPRNG. Nothing here is logged.
 */
export function srtpKeysFor(offer: AcceptedOffer): CallSrtpKeys | undefined {
  const offered = offer.crypto;
  if (offered === undefined) return undefined;
  const localKey = randomBytes(MASTER_KEY_AND_SALT_BYTES).toString('base64');
  return {
    params: { suite: offered.suite, localKey, remoteKey: offered.keyBase64 },
    answer: { tag: offered.tag, suite: offered.suite, keyBase64: localKey },
  };
}
