import { VoicebridgeError, type AgentDecision, type CallJob } from '@voicebridge/protocol';
import type { LanguageModelFactory } from './language-model-factory.ts';

/**
 * Whether this worker can take the call, decided before signaling answers it: an `llm` number
 * whose model cannot be built here (its key variable not on AGENT_SECRET_ENV or unset in this
 * worker's environment, a model URL the outbound policy refuses, no models at all) is refused with 503 `agent-misconfigured` and a reason naming
 * what is missing (the variable's name, never a value), instead of an answered call that can
 * only apologise and hang up. The model built to check is dropped: building one sends nothing.
 */
export function decideOnCall(job: CallJob, models: LanguageModelFactory): AgentDecision {
  if (job.config.agent.kind !== 'llm') return { decision: 'accept' };
  try {
    models(job.config.agent.llm, undefined, { insecure: job.config.insecure === true });
  } catch (error) {
    if (error instanceof VoicebridgeError && error.code === 'VB_CONFIG_INVALID') return misconfigured(error.message);
    throw error;
  }
  return { decision: 'accept' };
}

function misconfigured(reason: string): AgentDecision {
  return { decision: 'refuse', code: 'agent-misconfigured', reason: reason.slice(0, 500), sipStatus: 503 };
}
