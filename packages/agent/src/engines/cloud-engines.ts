import type { OutboundPolicy } from '@voicebridge/outbound';
import {
  VoicebridgeError,
  type EnginesConfig,
  type Logger,
  type SecretEnvAllowList,
  type SttEngineConfig,
  type TtsEngineConfig,
} from '@voicebridge/protocol';
import { DeepgramStt } from './deepgram-stt.ts';
import { ElevenLabsTts } from './elevenlabs-tts.ts';

/** The cloud adapters of one call, for the providers that have one (the rest run offline). */
export interface CloudEngines {
  stt?: { engine: DeepgramStt; provider: string; model: string; fallback: 'pocketsphinx' | 'none' };
  tts?: { engine: ElevenLabsTts; provider: string; model: string; fallback: 'flite' | 'none' };
}

/** Builds a call's cloud adapters; throws `VB_CONFIG_INVALID` naming the field and variable when a key is unusable. */
export type CloudEngineFactory = (config: EnginesConfig | undefined, log: Logger, insecure: boolean) => CloudEngines;

export interface CloudEngineFactoryOptions {
  /** The agent worker's environment, handed in by `main.ts`: keys are read by the names numbers give. */
  env: Readonly<Record<string, string | undefined>>;
  secretEnv: SecretEnvAllowList;
  policy: OutboundPolicy;
}

/** Providers with an adapter in this build; a number naming another runs on the offline engine. */
export const STT_ADAPTERS: readonly string[] = ['deepgram'];
export const TTS_ADAPTERS: readonly string[] = ['elevenlabs'];

export function createCloudEngineFactory(options: CloudEngineFactoryOptions): CloudEngineFactory {
  const keyOf = (field: string, config: SttEngineConfig | TtsEngineConfig): string | undefined => {
    const name = config.keyEnv;
    if (name === undefined) return undefined;
    if (!options.secretEnv.allows(name))
      throw new VoicebridgeError('VB_CONFIG_INVALID', `${field}: ${options.secretEnv.refusal(name)}`);
    const value = options.env[name];
    if (value === undefined || value === '')
      throw new VoicebridgeError(
        'VB_CONFIG_INVALID',
        `${field}: environment variable ${name} is not set for the agent worker`,
      );
    return value;
  };
  return (config, log, insecure) => {
    const engines: CloudEngines = {};
    const stt = config?.stt;
    if (stt !== undefined && STT_ADAPTERS.includes(stt.provider)) {
      const model = stt.model ?? 'nova-3';
      engines.stt = {
        provider: stt.provider,
        model,
        fallback: stt.fallback ?? 'pocketsphinx',
        engine: new DeepgramStt({
          url: stt.url,
          apiKey: keyOf('engines.stt.keyEnv', stt),
          keyName: `engines.stt.keyEnv (${stt.keyEnv ?? 'no key'})`,
          model,
          language: stt.language,
          policy: options.policy,
          insecure,
          log,
        }),
      };
    } else if (stt !== undefined && stt.provider !== 'pocketsphinx') {
      log.warn(
        { provider: stt.provider },
        'no adapter for this STT provider yet: the offline recogniser serves the call',
      );
    }
    const tts = config?.tts;
    if (tts !== undefined && TTS_ADAPTERS.includes(tts.provider)) {
      const model = tts.model ?? 'eleven_flash_v2_5';
      engines.tts = {
        provider: tts.provider,
        model,
        fallback: tts.fallback ?? 'flite',
        engine: new ElevenLabsTts({
          url: tts.url,
          apiKey: keyOf('engines.tts.keyEnv', tts),
          keyName: `engines.tts.keyEnv (${tts.keyEnv ?? 'no key'})`,
          voice: tts.voice,
          model,
          policy: options.policy,
          insecure,
          log,
        }),
      };
    } else if (tts !== undefined && tts.provider !== 'flite') {
      log.warn({ provider: tts.provider }, 'no adapter for this TTS provider yet: the offline voice serves the call');
    }
    return engines;
  };
}
