import { z } from 'zod';
import { EnvVarNameSchema } from '../config-fields.ts';
import { GreetingSchema } from './echo-agent-config.ts';
import { WebhookToolSchema } from './llm-agent-config.ts';
import { WebsocketUrlSchema } from './websocket-agent-config.ts';

/** OpenAI's public Realtime endpoint; `?model=` is added per call. Azure and compatible servers set `url`. */
export const OPENAI_REALTIME_URL = 'wss://api.openai.com/v1/realtime';

/**
 * When a session is renewed by default: 5 minutes before the maximum OpenAI publishes, "The maximum
 * duration of a Realtime session is 60 minutes" (https://developers.openai.com/api/docs/guides/realtime-conversations,
 * "Session lifecycle events"), so a quiet moment can be waited for.
 */
export const REALTIME_RENEW_AFTER_MS = 55 * 60_000;

/**
 * Who decides that the caller's turn ended: `server` (the model's server_vad), `semantic` (its
 * semantic_vad) or `bridge` (our VAD commits the audio and asks for a response). In every mode the
 * bridge decides barge-in itself, so echo of the model's own voice on a phone line cannot cut it.
 */
export const REALTIME_TURN_DETECTION = ['server', 'semantic', 'bridge'] as const;
export type RealtimeTurnDetection = (typeof REALTIME_TURN_DETECTION)[number];

/** The speech-to-speech model of a `realtime` number; the key is named by variable, never stored. */
export const RealtimeModelConfigSchema = z.object({
  provider: z.enum(['openai']).default('openai'),
  /** e.g. `gpt-realtime`, `gpt-realtime-mini`. */
  model: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:/-]+$/, 'must be letters, digits and . _ : / -'),
  /** The provider's socket when not its public one (Azure OpenAI, a proxy, a compatible server). */
  url: WebsocketUrlSchema.optional(),
  /** The NAME of the agent worker's variable holding the API key (absent for servers that need none). */
  apiKeyEnv: EnvVarNameSchema.optional(),
  /** The model's own voice (alloy, ash, ballad, coral, echo, sage, shimmer, verse, marin, cedar, …). */
  voice: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of letters, digits, _ and -')
    .optional(),
  turnDetection: z.enum(REALTIME_TURN_DETECTION).default('server'),
  /** The model that transcribes the caller for the record (absent: `gpt-4o-mini-transcribe`). */
  transcriptionModel: z.string().trim().min(1).max(200).optional(),
  /** How long the provider may take to accept and configure the session before the caller gets 503. */
  connectTimeoutMs: z.number().int().min(100).max(30_000).default(5000),
  /**
   * A call's model session is replaced by a fresh, re-seeded one this long after it opened, before
   * the provider's own limit ends it (absent: `REALTIME_RENEW_AFTER_MS`, a margin below OpenAI's
   * published 60 minutes; Azure OpenAI's sessions last 30, so set less there).
   */
  renewAfterMs: z.number().int().min(1000).max(3_600_000).optional(),
});
export type RealtimeModelConfig = z.infer<typeof RealtimeModelConfigSchema>;

/**
 * `realtime`: a speech-to-speech model hears the caller and speaks back (docs/agents.md, "Realtime
 * models"), with the built-in call tools and the number's webhook `tools`, as an `llm` number has.
 */
export const RealtimeAgentConfigSchema = z.object({
  kind: z.literal('realtime'),
  greeting: GreetingSchema.optional(),
  prompt: z.string().max(20000).optional(),
  realtime: RealtimeModelConfigSchema,
  tools: z.array(WebhookToolSchema).max(20).optional(),
});
export type RealtimeAgentConfig = z.infer<typeof RealtimeAgentConfigSchema>;
