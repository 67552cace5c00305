import { z } from 'zod';
import { EnvVarNameSchema, HttpUrlSchema } from './config-fields.ts';

/**
 * Speech engines of a number whose agent speaks through STT and TTS (echo, scripted, llm). Today
 * only the offline engines exist (ADR 0005), so each list has one provider and `model`, `url` and
 * `keyEnv` are accepted but not yet used; cloud adapters add their names here and read those fields.
 */
export const STT_PROVIDERS = ['pocketsphinx'] as const;
export const TTS_PROVIDERS = ['flite'] as const;

const engineFields = {
  /** The provider's model name. */
  model: z.string().trim().min(1).max(200).optional(),
  /** The provider's endpoint, where it is not the provider's public default. */
  url: HttpUrlSchema.optional(),
  /** The NAME of the agent worker's environment variable holding the provider's key. */
  keyEnv: EnvVarNameSchema.optional(),
};

export const SttEngineConfigSchema = z.object({
  provider: z.enum(STT_PROVIDERS).default('pocketsphinx'),
  ...engineFields,
});
export type SttEngineConfig = z.infer<typeof SttEngineConfigSchema>;

export const TtsEngineConfigSchema = z.object({
  provider: z.enum(TTS_PROVIDERS).default('flite'),
  ...engineFields,
  /** The provider's voice name (flite: `slt`, `kal`, `awb`, `rms`, or a `.flitevox` path on the worker). */
  voice: z.string().max(64).optional(),
});
export type TtsEngineConfig = z.infer<typeof TtsEngineConfigSchema>;

/** Absent, or a part absent: the offline default engine with its default voice. */
export const EnginesConfigSchema = z.object({
  stt: SttEngineConfigSchema.optional(),
  tts: TtsEngineConfigSchema.optional(),
});
export type EnginesConfig = z.infer<typeof EnginesConfigSchema>;
