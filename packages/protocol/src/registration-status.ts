import { z } from 'zod';

/**
 * A trunk's outbound registration as the signaling process last saw it, for
 * `voicebridge trunks list`:
 *
 *   registering ── 2xx ──► registered ── refresh at ~60% of Expires ──► registered
 *        │ failure (401 twice, 4xx-6xx, timeout)        │ refresh or keep-alive fails
 *        ▼                                              ▼
 *      failed ── back-off (5 s … 5 min) ──► registering
 */
export const REGISTRATION_STATES = ['registering', 'registered', 'failed'] as const;
export type RegistrationState = (typeof REGISTRATION_STATES)[number];

export const RegistrationStatusSchema = z.object({
  state: z.enum(REGISTRATION_STATES),
  /** The registrar as configured, and where it resolved to (RFC 3263). */
  registrar: z.string().max(300),
  resolved: z.string().max(300).optional(),
  /** When the current binding lapses unless refreshed. */
  expiresAtMs: z.number().int().optional(),
  /** Why the last attempt failed: a status line or `timeout`; never a credential. */
  lastError: z.string().max(200).optional(),
  /** Consecutive failures (the back-off grows with it). */
  failures: z.number().int().nonnegative(),
  updatedAtMs: z.number().int(),
});
export type RegistrationStatus = z.infer<typeof RegistrationStatusSchema>;
