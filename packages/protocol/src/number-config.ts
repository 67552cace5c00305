import { z } from 'zod';
import { E164_PATTERN } from './ids.ts';
import { TransferTargetPatternSchema } from './transfer.ts';

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
  apiKeyEnv: z
    .string()
    .max(128)
    .regex(ENV_VAR_NAME_PATTERN, 'must be an environment variable name (letters, digits, _)')
    .optional(),
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
 * Call recording of a number (opt-in): a stereo WAV per call, caller left, agent right, written by
 * the media worker under RECORDINGS_DIR and deleted `retentionDays` after it was written.
 */
export const RecordingConfigSchema = z.object({
  enabled: z.boolean(),
  retentionDays: z.number().int().min(1).max(3650),
});
export type RecordingConfig = z.infer<typeof RecordingConfigSchema>;

/** Tool names the llm agent provides itself; a webhook tool may not take them. */
export const BUILT_IN_TOOL_NAMES = ['end_call', 'send_dtmf', 'transfer_call'] as const;

/**
 * An HTTP tool of an `llm` number: the model may call it by `name`; the agent POSTs
 * `{callId, number, tool, arguments}` as JSON to `url` and hands the reply (JSON or text, first
 * 4 KB) back to the model, or an error after `timeoutMs`.
 */
export const WebhookToolSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of letters, digits, _ and -')
    .refine((name) => !(BUILT_IN_TOOL_NAMES as readonly string[]).includes(name), 'is a built-in tool name'),
  description: z.string().max(1000),
  /** JSON Schema of the arguments: an object schema. */
  parameters: z
    .record(z.string(), z.unknown())
    .refine((schema) => schema['type'] === 'object', 'must be a JSON Schema with type "object"'),
  url: z
    .string()
    .max(2000)
    .refine((value) => isHttpUrlWithoutCredentials(value), 'must be an http(s) URL without credentials'),
  timeoutMs: z.number().int().min(100).max(30_000).default(5000),
});
export type WebhookTool = z.infer<typeof WebhookToolSchema>;

/** Guards of a call: how long it may last, and how long the caller may stay silent. */
export const DEFAULT_MAX_CALL_DURATION_S = 3600;
export const DEFAULT_NO_INPUT_TIMEOUT_S = 30;

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
  /** Absent or disabled: calls to this number are not recorded. */
  recording: RecordingConfigSchema.optional(),
  /** HTTP tools offered to an `llm` agent's model, besides its built-in ones. */
  tools: z.array(WebhookToolSchema).max(20).optional(),
  /** The agent ends a call this long after the answer (verdict `max-duration`); default 3600. */
  maxCallDurationS: z.number().int().min(1).max(86_400).optional(),
  /** Caller silence before one reprompt, and again before the agent ends the call (`no-input`); default 30. */
  noInputTimeoutS: z.number().int().min(1).max(3600).optional(),
  /** Where the agent may transfer calls (`transfer_call`): numbers or sip:/tel: URIs, `*` a wildcard. Absent: nowhere. */
  transferTargets: z.array(TransferTargetPatternSchema).max(50).optional(),
  configVersion: z.number().int().nonnegative(),
  updatedAtMs: z.number().int().nonnegative(),
});
export type NumberConfig = z.infer<typeof NumberConfigSchema>;
export type KeywordAnswer = z.infer<typeof KeywordAnswerSchema>;
