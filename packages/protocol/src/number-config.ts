import { z } from 'zod';
import { E164_PATTERN } from './ids.ts';

export const AGENT_TYPES = ['echo', 'scripted', 'llm'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

export const KeywordAnswerSchema = z.object({
  keyword: z.string().trim().min(1).max(64),
  text: z.string().trim().min(1).max(1000),
});

/** An environment variable's name: what `apiKeyEnv` holds, never the key itself. */
export const ENV_VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The model behind an `llm` agent: any OpenAI-compatible chat-completions endpoint. The key is not
 * stored here, only the name of the agent worker's environment variable that holds it.
 */
export const LlmConfigSchema = z.object({
  /** Up to and including the version path, e.g. `https://api.openai.com/v1`; no credentials in it. */
  baseUrl: z
    .string()
    .max(2000)
    .refine((value) => isHttpUrlWithoutCredentials(value), 'must be an http(s) URL without credentials'),
  model: z.string().trim().min(1).max(200),
  /** The NAME of the environment variable holding the API key (absent for servers that need none). */
  apiKeyEnv: z.string().max(128).regex(ENV_VAR_NAME_PATTERN, 'must be an environment variable name (letters, digits, _)').optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().max(100_000).optional(),
});
export type LlmConfig = z.infer<typeof LlmConfigSchema>;

function isHttpUrlWithoutCredentials(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
}

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
  /** The model of an `llm` agent (its system prompt is `prompt`); ignored by the other agents. */
  llm: LlmConfigSchema.optional(),
  configVersion: z.number().int().nonnegative(),
  updatedAtMs: z.number().int().nonnegative(),
});
export type NumberConfig = z.infer<typeof NumberConfigSchema>;
export type KeywordAnswer = z.infer<typeof KeywordAnswerSchema>;
