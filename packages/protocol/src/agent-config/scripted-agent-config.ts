import { z } from 'zod';
import { GreetingSchema } from './echo-agent-config.ts';

export const KeywordAnswerSchema = z.object({
  keyword: z.string().trim().min(1).max(64),
  text: z.string().trim().min(1).max(1000),
});
export type KeywordAnswer = z.infer<typeof KeywordAnswerSchema>;

/**
 * `scripted`: answers from a keyword list (offline STT → keyword match → TTS). `fallback` is said
 * when no keyword matched; `{heard}` in it is replaced by what was recognised.
 */
export const ScriptedAgentConfigSchema = z.object({
  kind: z.literal('scripted'),
  greeting: GreetingSchema.optional(),
  answers: z.array(KeywordAnswerSchema).max(100).default([]),
  fallback: z.string().max(1000).optional(),
});
export type ScriptedAgentConfig = z.infer<typeof ScriptedAgentConfigSchema>;
