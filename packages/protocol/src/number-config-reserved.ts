import { z } from 'zod';
import { EnvVarNameSchema, HttpUrlSchema } from './config-fields.ts';
import { E164_PATTERN } from './ids.ts';
import { TRUNK_NAME_PATTERN } from './trunk-config.ts';

/**
 * Blocks of a number config beside the agent: call-event webhooks (used), and outbound calls
 * (reserved: validated and stored, nothing reads them yet). Fixing the shape early lets the work
 * that uses them start from stored configs instead of adding a third version.
 */

/**
 * Signed call events (Standard Webhooks) for this number's calls, POSTed to `url`: call.ringing,
 * call.answered, call.turn, call.ended. `secretEnv` names the agent worker's variable holding the
 * `whsec_` secret (two, space-separated, while rotating); the value is never stored. Transcript
 * text leaves the bridge only with `includeTranscript` (docs/api.md "Call events").
 */
export const NumberEventsConfigSchema = z.object({
  url: HttpUrlSchema,
  /** The NAME of the environment variable holding the signing secret. */
  secretEnv: EnvVarNameSchema,
  /** Caller and agent text in call.turn and call.ended; absent: times and counts only. */
  includeTranscript: z.boolean().optional(),
  /** Per delivery attempt, from connect to the whole reply; default and most 10 000. */
  timeoutMs: z.number().int().min(100).max(10_000).optional(),
});
export type NumberEventsConfig = z.infer<typeof NumberEventsConfigSchema>;

/** Not yet used: outbound calls from this number through a configured trunk. */
export const NumberOutboundConfigSchema = z.object({
  trunk: z.string().regex(TRUNK_NAME_PATTERN, 'must be a trunk name'),
  /** The From number; the number itself when absent. */
  callerId: z.string().regex(E164_PATTERN, 'must be E.164: + then 7 to 15 digits').optional(),
  maxConcurrentCalls: z.number().int().min(1).max(10_000).optional(),
});
export type NumberOutboundConfig = z.infer<typeof NumberOutboundConfigSchema>;
