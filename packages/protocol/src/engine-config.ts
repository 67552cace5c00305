import { z } from 'zod';
import { EnvVarNameSchema, HttpUrlSchema } from './config-fields.ts';

/**
 * Speech engines of a number whose agent speaks through STT and TTS (echo, scripted, llm). Today
 * only the offline engines exist (ADR 0005), so each list has one provider and `model`, `url` and
 * `keyEnv` are accepted but not yet used; cloud adapters add their names here and read those fields.
 */
export const STT_PROVIDERS = ['pocketsphinx'] as const;
export const TTS_PROVIDERS = ['flite'] as const;

/**
 * Voices built into Debian's flite 2.2 (`flite -lv`). The agent passes only these names to flite
 * (a voice may also be a path or URL to a voice file, which a number's config must not reach), so
 * `numbers set` refuses any other and the agent refuses a stored one before answering.
 */
export const FLITE_VOICES = ['rms', 'slt', 'awb', 'kal', 'kal16', 'awb_time'] as const;

/** Why `tts` names a voice its provider does not have (listing the valid ones); undefined when it is fine. */
export function ttsVoiceProblem(tts: { provider?: string; voice?: string } | undefined): string | undefined {
  const voice = tts?.voice;
  if (voice === undefined || (tts?.provider ?? 'flite') !== 'flite') return undefined;
  if ((FLITE_VOICES as readonly string[]).includes(voice)) return undefined;
  return `flite has no voice ${JSON.stringify(voice.slice(0, 64))}; valid voices: ${FLITE_VOICES.join(', ')}`;
}

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
  /** The provider's voice name (flite: one of FLITE_VOICES). */
  voice: z.string().max(64).optional(),
});
export type TtsEngineConfig = z.infer<typeof TtsEngineConfigSchema>;

/** Absent, or a part absent: the offline default engine with its default voice. */
export const EnginesConfigSchema = z.object({
  stt: SttEngineConfigSchema.optional(),
  tts: TtsEngineConfigSchema.optional(),
});
export type EnginesConfig = z.infer<typeof EnginesConfigSchema>;
