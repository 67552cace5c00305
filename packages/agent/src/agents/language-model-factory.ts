import type { OutboundHttp } from '@voicebridge/outbound';
import { VoicebridgeError, type LlmConfig, type Logger, type SecretEnvAllowList } from '@voicebridge/protocol';
import type { LanguageModel } from '../llm/language-model.ts';
import { OpenAiCompatibleModel } from '../llm/openai-compatible.ts';

/**
 * Builds a call's model from its number's `llm` config; throws `VB_CONFIG_INVALID` when it cannot.
 * `log` is the call's logger, so the model's lines carry the call's bindings; default the factory's.
 * `insecure`: the number allows plain http to hosts other than localhost.
 */
export type LanguageModelFactory = (config: LlmConfig, log?: Logger, options?: { insecure?: boolean }) => LanguageModel;

/** A streamed answer is a few KB; this bounds a server that never stops sending. */
const MODEL_REPLY_MAX_BYTES = 16 * 1024 * 1024;

export interface LanguageModelFactoryOptions {
  /**
   * Where API keys are looked up by the name in `llm.apiKeyEnv`: the agent worker's environment,
   * handed in by its `main.ts` (the only module that reads it). Keys never leave this closure
   * except in the provider's `Authorization` header.
   */
  env: Readonly<Record<string, string | undefined>>;
  /** AGENT_SECRET_ENV: the only variables `apiKeyEnv` may name; any other is refused unread. */
  secretEnv: SecretEnvAllowList;
  /** Every model request goes through it: the outbound URL policy, no redirects, a size cap. */
  outbound: OutboundHttp;
  /** The longest the provider may stay silent (ADR 0007 §3). Default 10 000. */
  timeoutMs?: number;
  /** The longest to the first token. Default 8 000. */
  firstTokenTimeoutMs?: number;
  /** For models built without a call's logger. */
  log?: Logger;
}

/** The factory of OpenAI-compatible models (OpenAI, Groq, Together, Ollama, vLLM, llama.cpp). */
export function createLanguageModelFactory(options: LanguageModelFactoryOptions): LanguageModelFactory {
  const { env, secretEnv, outbound, timeoutMs = 10_000, firstTokenTimeoutMs = 8_000 } = options;
  return (config, log = options.log, { insecure = false } = {}) => {
    let apiKey: string | undefined;
    if (config.apiKeyEnv !== undefined) {
      // Names the variable, never a value; a variable off the list is not even read.
      if (!secretEnv.allows(config.apiKeyEnv))
        throw new VoicebridgeError('VB_CONFIG_INVALID', `llm.apiKeyEnv: ${secretEnv.refusal(config.apiKeyEnv)}`);
      apiKey = env[config.apiKeyEnv];
      if (apiKey === undefined || apiKey === '') {
        throw new VoicebridgeError(
          'VB_CONFIG_INVALID',
          `llm.apiKeyEnv: environment variable ${config.apiKeyEnv} is not set for the agent worker`,
        );
      }
    }
    const what = 'llm.baseUrl';
    outbound.policy.check(config.baseUrl, 'http', insecure, what);
    // The model's own timeouts (clearer errors) fire before the connection's.
    const connectionTimeoutMs = Math.max(timeoutMs, firstTokenTimeoutMs) + 1000;
    return new OpenAiCompatibleModel({
      baseUrl: config.baseUrl,
      model: config.model,
      apiKey,
      timeoutMs,
      firstTokenTimeoutMs,
      fetch: outbound.fetcher({
        insecure,
        maxResponseBytes: MODEL_REPLY_MAX_BYTES,
        headersTimeoutMs: connectionTimeoutMs,
        idleTimeoutMs: connectionTimeoutMs,
        what,
      }),
      log,
    });
  };
}

/** For workers built without models: every llm number is refused with a clear reason. */
export const noLanguageModels: LanguageModelFactory = () => {
  throw new VoicebridgeError('VB_CONFIG_INVALID', 'this agent worker has no language models configured');
};
