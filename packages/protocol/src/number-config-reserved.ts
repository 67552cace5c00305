import { z } from 'zod';
import { EnvVarNameSchema, HttpUrlSchema } from './config-fields.ts';
import { E164_PATTERN } from './ids.ts';
import { TRUNK_NAME_PATTERN } from './trunk-config.ts';

/**
 * Blocks of a number config that are reserved: their shape is validated and stored, but nothing
 * reads them yet. Fixing the shape now lets the work that will use them (call-event webhooks,
 * outbound calls) start from stored configs instead of adding a third version.
 */

/** Not yet used: signed call-event webhooks for this number's calls, POSTed to `url`. */
export const NumberEventsConfigSchema = z.object({
  url: HttpUrlSchema,
  /** The NAME of the environment variable holding the signing secret. */
  secretEnv: EnvVarNameSchema.optional(),
  timeoutMs: z.number().int().min(100).max(30_000).optional(),
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
