import { AgentRefusal } from '../agents/agent-kind.ts';
import { readSecretEnv, type BotSecretSource } from '../bot/bot-secrets.ts';
import { EngineError } from '../stt/engine-error.ts';

/** The model's key from the worker's environment, by the allow-listed name; a refusal names the variable, never a value. */
export function readRealtimeKey(name: string, source: BotSecretSource): string {
  return readSecretEnv('agent.realtime.apiKeyEnv', name, source);
}

/**
 * Why a session could not be opened before the answer: a refused key (401/403) or a model or field
 * the provider rejects is the number's config (503 `agent-misconfigured`); anything else (refused,
 * timed out, 429 or 5xx past the retry, the URL policy) is 503 `model-unreachable`.
 */
export function refusalOf(error: unknown): AgentRefusal {
  if (error instanceof AgentRefusal) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof EngineError && error.code === 'VB_CONFIG_INVALID' && !/outbound URL policy/.test(message))
    return new AgentRefusal('VB_CONFIG_INVALID', message, 503, 'agent-misconfigured');
  return new AgentRefusal('VB_ENGINE_FAILED', `model unreachable: ${message}`, 503, 'model-unreachable');
}
