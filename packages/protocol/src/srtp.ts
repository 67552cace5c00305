import { z } from 'zod';

/** RFC 4568 §6.2 crypto suites voicebridge negotiates (SDES-SRTP with AES-CM 128 and HMAC-SHA1). */
export const SRTP_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SrtpSuiteName = (typeof SRTP_SUITES)[number];

/** base64 of a 16-byte master key followed by a 14-byte master salt (RFC 4568 §6.1 key-info). */
const InlineKeySchema = z.string().regex(/^[A-Za-z0-9+/]{40}$/, 'a 30-byte base64 master key and salt');

/**
 * SDES-SRTP keys for one call's media (allocate request only). Secrets: never logged, never written
 * to a call record; they live in the media worker's memory for the call and nowhere else.
 */
export const SrtpParamsSchema = z.object({
  suite: z.enum(SRTP_SUITES),
  /** Our key: what we encrypt with, the one in our answer's a=crypto. */
  localKey: InlineKeySchema,
  /** The caller's key from its offer's a=crypto: what we decrypt with. */
  remoteKey: InlineKeySchema,
});
export type SrtpParams = z.infer<typeof SrtpParamsSchema>;
