import { z } from 'zod';
import { E164_PATTERN } from './ids.ts';

/**
 * `sip:host[:port][;transport=udp|tcp|tls]`: where a trunk's outbound INVITEs go (the carrier's
 * proxy). Host is a name, IPv4 or [IPv6]; nothing else in the URI, so the user part is ours to set.
 */
export const OUTBOUND_URI_PATTERN =
  /^sip:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:;transport=(?:udp|tcp|tls))?$/i;

/**
 * A destination pattern: E.164 digits after `+`, where a trailing `*` matches any run of digits
 * (`+1555*`, `+4420*`, `+15550777`). Only a trailing star: a pattern reads as a prefix or a number.
 */
export const OUTBOUND_ALLOW_PATTERN = /^\+[1-9]\d{0,14}\*?$/;

/** A SIP user part we put in From when the carrier wants an account id there, not the caller id. */
const fromUser = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.!~*'()&=+$,;?/-]+$/, 'must be a SIP user part (RFC 3261 §25.1 unreserved characters)');

/**
 * Trunk outbound settings: how and where calls leave through this trunk, and the toll-fraud guards
 * that every dial passes first (dial-guards.ts). The password is never stored: `passwordEnv` names
 * the variable signaling reads it from, which must be on the secret allow-list (AGENT_SECRET_ENV).
 */
export const TrunkOutboundSchema = z.object({
  /** Absent: a registered trunk dials through its registrar. */
  uri: z
    .string()
    .trim()
    .max(300)
    .regex(OUTBOUND_URI_PATTERN, 'must be sip:HOST[:PORT][;transport=udp|tcp|tls]')
    .optional(),
  /** Digest username for the carrier's 401/407 (defaults to the registration's, if any). */
  username: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  passwordEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name (letters, digits, _)')
    .optional(),
  /** The only identities a dial may present; a dial without `from` uses the first. */
  callerIds: z.array(z.string().regex(E164_PATTERN, 'must be E.164: + then 7 to 15 digits')).max(50).optional(),
  fromUser: fromUser.optional(),
  /** Destinations allowed; absent: the trunk's own country (`countryCode`), premium-rate excluded. */
  allow: z
    .array(z.string().regex(OUTBOUND_ALLOW_PATTERN, 'must be + and digits, optionally ending in * (e.g. +1555*)'))
    .max(100)
    .optional(),
  /** Concurrent outbound calls; they also count against the trunk's `maxCalls` (shared both ways). */
  maxCalls: z.number().int().min(1).max(100_000).optional(),
  /** New outbound calls per second (a token bucket in Redis shared by every node). */
  callsPerSecond: z.number().positive().max(1000).optional(),
  /** Calls started per UTC day, and minutes of answered outbound calls per UTC day. */
  dailyMaxCalls: z.number().int().min(1).max(10_000_000).optional(),
  dailyMaxMinutes: z.number().int().min(1).max(10_000_000).optional(),
  /** RFC 4028 Session-Expires offered on this trunk's calls, instead of the bridge's SESSION_EXPIRES_S. */
  sessionExpiresS: z.number().int().min(1).max(86_400).optional(),
  /** How the destination is written in the Request-URI and To: E.164 with + or national digits. */
  numberFormat: z.enum(['e164', 'national']).optional(),
});
export type TrunkOutbound = z.infer<typeof TrunkOutboundSchema>;
