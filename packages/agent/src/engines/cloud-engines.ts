import type { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import {
  VoicebridgeError,
  type EnginesConfig,
  type Logger,
  type SecretEnvAllowList,
  type SttEngineConfig,
  type TtsEngineConfig,
} from '@voicebridge/protocol';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { ASSEMBLYAI_DEFAULT_MODEL, AssemblyAiStt } from './assemblyai-stt.ts';
import { CARTESIA_DEFAULT_MODEL, CartesiaTts } from './cartesia-tts.ts';
import { DEEPGRAM_AURA_DEFAULT_MODEL, DeepgramAuraTts } from './deepgram-aura-tts.ts';
import { DeepgramStt } from './deepgram-stt.ts';
import { ELEVENLABS_DEFAULT_MODEL, ElevenLabsTts } from './elevenlabs-tts.ts';
import { OpenAiStt } from './openai-stt.ts';
import { OPENAI_STT_DEFAULT_MODEL } from './openai-transcription-wire.ts';
import { OPENAI_TTS_DEFAULT_MODEL, OpenAiTts } from './openai-tts.ts';

/** A cloud STT adapter: a socket opened before the answer, and the audio it was sent (what is billed). */
export interface CloudStt extends SpeechToText {
  prepare(signal: AbortSignal): Promise<void>;
  readonly audioSeconds: number;
  /** `performance.now()` of the provider's last message of any kind: how a stalled socket is told (`SttStallWatch`). */
  readonly lastMessageAtMs: number | undefined;
}

/** A cloud TTS adapter: a socket opened before the answer, characters sent and replies cut by barge-in. */
export interface CloudTts extends TextToSpeech {
  prepare(signal: AbortSignal): Promise<void>;
  readonly characters: number;
  readonly cancelled: number;
}

/** The cloud adapters of one call, for the providers that have one (the rest run offline). */
export interface CloudEngines {
  stt?: { engine: CloudStt; provider: string; model: string; fallback: 'pocketsphinx' | 'none' };
  tts?: { engine: CloudTts; provider: string; model: string; fallback: 'flite' | 'none' };
}

/** Builds a call's cloud adapters; throws `VB_CONFIG_INVALID` naming the field and variable when a key is unusable. */
export type CloudEngineFactory = (config: EnginesConfig | undefined, log: Logger, insecure: boolean) => CloudEngines;

export interface CloudEngineFactoryOptions {
  /** The agent worker's environment, handed in by `main.ts`: keys are read by the names numbers give. */
  env: Readonly<Record<string, string | undefined>>;
  secretEnv: SecretEnvAllowList;
  policy: OutboundPolicy;
  /** The worker's HTTP client (under `policy`) for HTTP engines; absent, each such engine makes its own. */
  outbound?: OutboundHttp;
}

/** What every adapter takes: where, which key, the policy, the log. */
interface Common {
  url: string | undefined;
  apiKey: string | undefined;
  keyName: string;
  policy: OutboundPolicy;
  /** For adapters over HTTP rather than a socket. */
  http: OutboundHttp | undefined;
  insecure: boolean;
  log: Logger;
}

interface Adapter<Config, Engine> {
  /** The model named in the record when the number names none. */
  model(config: Config): string;
  build(common: Common, config: Config, model: string): Engine;
}

const STT: Readonly<Record<string, Adapter<SttEngineConfig, CloudStt>>> = {
  deepgram: {
    model: () => 'nova-3',
    build: (common, config, model) => new DeepgramStt({ ...common, model, language: config.language }),
  },
  assemblyai: {
    model: () => ASSEMBLYAI_DEFAULT_MODEL,
    build: (common, _config, model) => new AssemblyAiStt({ ...common, model }),
  },
  openai: {
    model: () => OPENAI_STT_DEFAULT_MODEL,
    build: (common, config, model) => new OpenAiStt({ ...common, model, language: config.language }),
  },
};

const TTS: Readonly<Record<string, Adapter<TtsEngineConfig, CloudTts>>> = {
  elevenlabs: {
    model: () => ELEVENLABS_DEFAULT_MODEL,
    build: (common, config, model) => new ElevenLabsTts({ ...common, model, voice: config.voice }),
  },
  cartesia: {
    model: () => CARTESIA_DEFAULT_MODEL,
    build: (common, config, model) => new CartesiaTts({ ...common, model, voice: config.voice }),
  },
  // Aura's model names its voice (aura-2-thalia-en): a voice alone makes the model.
  deepgram: {
    model: (config) => (config.voice === undefined ? DEEPGRAM_AURA_DEFAULT_MODEL : `aura-2-${config.voice}-en`),
    build: (common, _config, model) => new DeepgramAuraTts({ ...common, model }),
  },
  openai: {
    model: () => OPENAI_TTS_DEFAULT_MODEL,
    build: (common, config, model) => new OpenAiTts({ ...common, model, voice: config.voice }),
  },
};

/** Providers with an adapter in this build; a number naming another runs on the offline engine. */
export const STT_ADAPTERS: readonly string[] = Object.keys(STT);
export const TTS_ADAPTERS: readonly string[] = Object.keys(TTS);

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
  const common = (kind: 'stt' | 'tts', config: SttEngineConfig | TtsEngineConfig, log: Logger, insecure: boolean) => ({
    url: config.url,
    apiKey: keyOf(`engines.${kind}.keyEnv`, config),
    keyName: `engines.${kind}.keyEnv (${config.keyEnv ?? 'no key'})`,
    policy: options.policy,
    http: options.outbound,
    insecure,
    log,
  });
  return (config, log, insecure) => {
    const engines: CloudEngines = {};
    const stt = config?.stt;
    const sttAdapter = stt === undefined ? undefined : STT[stt.provider];
    if (stt !== undefined && sttAdapter !== undefined) {
      const model = stt.model ?? sttAdapter.model(stt);
      engines.stt = {
        provider: stt.provider,
        model,
        fallback: stt.fallback ?? 'pocketsphinx',
        engine: sttAdapter.build(common('stt', stt, log, insecure), stt, model),
      };
    } else if (stt !== undefined && stt.provider !== 'pocketsphinx') {
      log.warn(
        { provider: stt.provider },
        'no adapter for this STT provider yet: the offline recogniser serves the call',
      );
    }
    const tts = config?.tts;
    const ttsAdapter = tts === undefined ? undefined : TTS[tts.provider];
    if (tts !== undefined && ttsAdapter !== undefined) {
      const model = tts.model ?? ttsAdapter.model(tts);
      engines.tts = {
        provider: tts.provider,
        model,
        fallback: tts.fallback ?? 'flite',
        engine: ttsAdapter.build(common('tts', tts, log, insecure), tts, model),
      };
    } else if (tts !== undefined && tts.provider !== 'flite') {
      log.warn({ provider: tts.provider }, 'no adapter for this TTS provider yet: the offline voice serves the call');
    }
    return engines;
  };
}
