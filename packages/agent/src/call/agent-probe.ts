import { hostname } from 'node:os';
import type { AgentProbeResult, CallJob } from '@voicebridge/protocol';
import type { Logger } from 'pino';
import { AgentRefusal } from '../agents/agent-kind.ts';
import type { AgentKinds } from '../agents/agent-kinds.ts';
import { decisionOf } from './agent-decision.ts';

/**
 * `voicebridge numbers check`: what this worker would decide if `job` were a call it claimed. The
 * same kind from the same registry, the same `prepare` a claim runs (AgentCall), then closed: no
 * media, no answer, no record.
 */
export async function probeAgent(
  kinds: AgentKinds,
  job: CallJob,
  log: Logger,
  signal: AbortSignal,
): Promise<AgentProbeResult> {
  const kind = kinds.create(job, log);
  let refusal: AgentRefusal | undefined;
  try {
    await kind.prepare(signal);
  } catch (error) {
    if (signal.aborted) throw error;
    refusal = AgentRefusal.from(error);
  } finally {
    try {
      kind.close('probe over');
    } catch (error) {
      log.warn({ err: error }, 'agent kind failed to close after a probe');
    }
  }
  const decision = decisionOf(refusal);
  log.info({ decision: decision.decision, verdict: refusal?.verdict }, 'number probed');
  return { decision, kind: job.config.agent.kind, host: hostname(), pid: process.pid };
}
