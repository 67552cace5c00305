import { z } from 'zod';
import { EnvVarNameSchema } from './config-fields.ts';

/**
 * Speech engines of a number whose agent speaks through STT and TTS (scripted, llm). The offline
 * engines (ADR 0005) need nothing; a cloud provider speaks its published wire (docs/engines.md),
 * takes its key from the agent worker's environment variable named by `keyEnv` (on the
 * AGENT_SECRET_ENV allow-list) and may be pointed at another endpoint with `url` (a regional host,
 * a proxy, a compatible server), which the outbound URL policy checks like every other URL.
 */
export const STT_PROVIDERS = ['pocketsphinx', 'deepgram', 'assemblyai', 'openai'] as const;
export const TTS_PROVIDERS = ['flite', 'elevenlabs', 'cartesia', 'deepgram', 'openai'] as const;
export type SttProvider = (typeof STT_PROVIDERS)[number];
export type TtsProvider = (typeof TTS_PROVIDERS)[number];

/** What replaces a failed cloud engine for the rest of the call: an offline engine, or nothing. */
export const STT_FALLBACKS = ['pocketsphinx', 'none'] as const;
export const TTS_FALLBACKS = ['flite', 'none'] as const;

/** The engines that run on the worker itself: no key, no URL, nothing to fall back from. */
const OFFLINE_PROVIDERS: readonly string[] = ['pocketsphinx', 'flite'];

/** http(s) for HTTP APIs, ws(s) for sockets; never credentials in it (they live in variables). */
export const EngineUrlSchema = z
  .string()
  .max(2000)
  .refine(isEngineUrl, 'must be an http(s) or ws(s) URL without credentials');

function isEngineUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && url.username === '' && url.password === '';
}

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
  /** The provider's model name; absent: the adapter's default (docs/engines.md). */
  model: z.string().trim().min(1).max(200).optional(),
  /** The provider's endpoint, where it is not the provider's public default. */
  url: EngineUrlSchema.optional(),
  /** The NAME of the agent worker's environment variable holding the provider's key. */
  keyEnv: EnvVarNameSchema.optional(),
};

/** A cloud provider at its public endpoint needs a key; a compatible server at `url` may not. */
function needsKey(engine: { provider: string; url?: string | undefined; keyEnv?: string | undefined }): boolean {
  return !OFFLINE_PROVIDERS.includes(engine.provider) && engine.url === undefined && engine.keyEnv === undefined;
}

export const SttEngineConfigSchema = z
  .object({
    provider: z.enum(STT_PROVIDERS).default('pocketsphinx'),
    ...engineFields,
    /** BCP 47 language (`en`, `en-US`) or a provider's own word for many (`multi`); absent: English. */
    language: z
      .string()
      .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$/, 'must be a language tag like en or en-US')
      .optional(),
    /** Replaces a cloud provider that fails, errors or stalls; absent: pocketsphinx; `none`: none. */
    fallback: z.enum(STT_FALLBACKS).optional(),
  })
  .refine((engine) => !needsKey(engine), {
    message: 'a cloud STT provider needs keyEnv (the variable holding its key), or a url of a compatible server',
    path: ['keyEnv'],
  });
export type SttEngineConfig = z.infer<typeof SttEngineConfigSchema>;

export const TtsEngineConfigSchema = z
  .object({
    provider: z.enum(TTS_PROVIDERS).default('flite'),
    ...engineFields,
    /** The provider's voice (flite: one of FLITE_VOICES; a cloud provider's voice id). */
    voice: z.string().max(64).optional(),
    /** Speaks instead of a cloud provider that fails or stalls; absent: flite; `none`: none. */
    fallback: z.enum(TTS_FALLBACKS).optional(),
  })
  .refine((engine) => !needsKey(engine), {
    message: 'a cloud TTS provider needs keyEnv (the variable holding its key), or a url of a compatible server',
    path: ['keyEnv'],
  });
export type TtsEngineConfig = z.infer<typeof TtsEngineConfigSchema>;

/** Absent, or a part absent: the offline default engine with its default voice. */
export const EnginesConfigSchema = z.object({
  stt: SttEngineConfigSchema.optional(),
  tts: TtsEngineConfigSchema.optional(),
});
export type EnginesConfig = z.infer<typeof EnginesConfigSchema>;
