import { VoicebridgeError, type LlmConfig, type Logger } from '@voicebridge/protocol';
import type { LanguageModel } from '../llm/language-model.ts';
import { OpenAiCompatibleModel } from '../llm/openai-compatible.ts';

/**
 * Builds a call's model from its number's `llm` config; throws `VB_CONFIG_INVALID` when it cannot.
 * `log` is the call's logger, so the model's lines carry the call's bindings; default the factory's.
 */
export type LanguageModelFactory = (config: LlmConfig, log?: Logger) => LanguageModel;

export interface LanguageModelFactoryOptions {
  /**
   * Where API keys are looked up by the name in `llm.apiKeyEnv`: the agent worker's environment,
   * handed in by its `main.ts` (the only module that reads it). Keys never leave this closure
   * except in the provider's `Authorization` header.
   */
  env: Readonly<Record<string, string | undefined>>;
  /** The longest the provider may stay silent (ADR 0007 §3). Default 10 000. */
  timeoutMs?: number;
  /** The longest to the first token. Default 8 000. */
  firstTokenTimeoutMs?: number;
  /** For models built without a call's logger. */
  log?: Logger;
}

/** The factory of OpenAI-compatible models (OpenAI, Groq, Together, Ollama, vLLM, llama.cpp). */
export function createLanguageModelFactory(options: LanguageModelFactoryOptions): LanguageModelFactory {
  const { env, timeoutMs = 10_000, firstTokenTimeoutMs = 8_000 } = options;
  return (config, log = options.log) => {
    let apiKey: string | undefined;
    if (config.apiKeyEnv !== undefined) {
      apiKey = env[config.apiKeyEnv];
      // Names the variable, never a value.
      if (apiKey === undefined || apiKey === '') {
        throw new VoicebridgeError(
          'VB_CONFIG_INVALID',
          `llm.apiKeyEnv: environment variable ${config.apiKeyEnv} is not set for the agent worker`,
        );
      }
    }
    return new OpenAiCompatibleModel({
      baseUrl: config.baseUrl,
      model: config.model,
      apiKey,
      timeoutMs,
      firstTokenTimeoutMs,
      log,
    });
  };
}

/** For workers built without models: every llm number is refused with a clear reason. */
export const noLanguageModels: LanguageModelFactory = () => {
  throw new VoicebridgeError('VB_CONFIG_INVALID', 'this agent worker has no language models configured');
};
