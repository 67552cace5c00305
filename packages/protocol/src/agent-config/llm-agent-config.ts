import { z } from 'zod';
import { EnvVarNameSchema, HttpUrlSchema } from '../config-fields.ts';
import { GreetingSchema } from './echo-agent-config.ts';

/**
 * The model behind an `llm` agent: any OpenAI-compatible chat-completions endpoint. The key is not
 * stored here, only the name of the agent worker's environment variable that holds it.
 */
export const LlmConfigSchema = z.object({
  /** Up to and including the version path, e.g. `https://api.openai.com/v1`; no credentials in it. */
  baseUrl: HttpUrlSchema,
  model: z.string().trim().min(1).max(200),
  /** The NAME of the environment variable holding the API key (absent for servers that need none). */
  apiKeyEnv: EnvVarNameSchema.optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(100_000).optional(),
});
export type LlmConfig = z.infer<typeof LlmConfigSchema>;

/** When an llm number's model request starts (see `answerStart`). */
export const ANSWER_STARTS = ['partial', 'final'] as const;
export type AnswerStart = (typeof ANSWER_STARTS)[number];
/** `partialStableMs` when the number sets none. */
export const DEFAULT_PARTIAL_STABLE_MS = 200;

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
  url: HttpUrlSchema,
  timeoutMs: z.number().int().min(100).max(30_000).default(5000),
});
export type WebhookTool = z.infer<typeof WebhookToolSchema>;

/**
 * `llm`: offline STT → the model in `llm` (system prompt `prompt`) with its built-in tools and the
 * number's webhook `tools` → TTS.
 */
export const LlmAgentConfigSchema = z.object({
  kind: z.literal('llm'),
  greeting: GreetingSchema.optional(),
  prompt: z.string().max(20000).optional(),
  llm: LlmConfigSchema,
  /** HTTP tools offered to the model, besides its built-in ones. */
  tools: z.array(WebhookToolSchema).max(20).optional(),
  /**
   * When the model request of a caller turn starts: on a stable interim transcript (`partial`,
   * the default; only streaming recognisers give interims) or on the final one (`final`). A reply
   * started early is neither spoken nor acted on before the final confirms its words (docs/conversation.md).
   */
  answerStart: z.enum(ANSWER_STARTS).optional(),
  /** An interim transcript is stable once its words and the caller's silence held this long. Default 200. */
  partialStableMs: z.number().int().min(50).max(2000).optional(),
});
export type LlmAgentConfig = z.infer<typeof LlmAgentConfigSchema>;
