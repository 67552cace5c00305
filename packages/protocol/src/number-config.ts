import { z } from 'zod';
import { E164_PATTERN } from './ids.ts';

export const AGENT_TYPES = ['echo', 'scripted'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

export const KeywordAnswerSchema = z.object({
  keyword: z.string().trim().min(1).max(64),
  text: z.string().trim().min(1).max(1000),
});

/**
 * Number config v1: what answers a dialled number. Stored as JSON under the number's key.
 * `configVersion` increments on every write so a call record can say which version answered.
 */
export const NumberConfigSchema = z.object({
  version: z.literal(1),
  number: z.string().regex(E164_PATTERN, 'must be E.164: + then 7 to 15 digits'),
  agent: z.enum(AGENT_TYPES),
  enabled: z.boolean(),
  greeting: z.string().max(1000).optional(),
  answers: z.array(KeywordAnswerSchema).max(100),
  fallback: z.string().max(1000).optional(),
  prompt: z.string().max(20000).optional(),
  voice: z.string().max(64).optional(),
  configVersion: z.number().int().nonnegative(),
  updatedAtMs: z.number().int().nonnegative(),
});
export type NumberConfig = z.infer<typeof NumberConfigSchema>;
export type KeywordAnswer = z.infer<typeof KeywordAnswerSchema>;
