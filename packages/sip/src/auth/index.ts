export { DigestAuthenticator } from './digest-authenticator.ts';
export type {
  DigestAccount,
  DigestAuthenticatorOptions,
  DigestFailure,
  DigestOutcome,
} from './digest-authenticator.ts';
export {
  DIGEST_ALGORITHMS,
  digestHash,
  digestResponse,
  parseDigest,
  quoted,
  readAlgorithm,
} from './digest-credentials.ts';
export type { DigestAlgorithm, DigestInput, DigestParams } from './digest-credentials.ts';
export { DigestNonces } from './digest-nonce.ts';
export type { DigestNoncesOptions, NonceCheck } from './digest-nonce.ts';
export { answerDigestChallenge } from './digest-client.ts';
export type { DigestAnswer, DigestClientCredentials } from './digest-client.ts';
