import type { AgentDecision } from '@voicebridge/protocol';
import type { AgentRefusal } from '../agents/agent-kind.ts';

/**
 * What signaling is told (and what `numbers check` reports): accept, or the refusal with its
 * verdict (503 `agent-misconfigured` for a config this worker cannot run).
 */
export function decisionOf(refusal: AgentRefusal | undefined): AgentDecision {
  if (!refusal) return { decision: 'accept' };
  const misconfigured = refusal.verdict === 'agent-misconfigured';
  return {
    decision: 'refuse',
    code: refusal.verdict,
    reason: refusal.message.slice(0, 500),
    sipStatus: misconfigured ? 503 : refusal.sipStatus,
  };
}
