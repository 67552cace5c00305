import { z } from 'zod';
import { AgentDecisionSchema } from './agent-decision.ts';

/**
 * `voicebridge numbers check N`: a job named `probe` on the calls queue, whose data is the call job a
 * call to N would carry (callId `probe-…`, the number's config). An agent worker takes it like a
 * call and answers, as the job's return value, what it would decide at claim: the same kind, built
 * the same way, through the same `prepare` (keys present and allowed, voice known), and nothing else:
 * no media, no answer, no record.
 */
export const PROBE_JOB_NAME = 'probe';
export const PROBE_ID_PREFIX = 'probe-';

export const AgentProbeResultSchema = z.object({
  /** What the agent would tell signaling: accept, or refuse with the verdict, reason and status. */
  decision: AgentDecisionSchema,
  /** The number's agent kind, as the worker read it. */
  kind: z.string().max(64),
  /** Which worker answered. */
  host: z.string().max(255),
  pid: z.number().int(),
});
export type AgentProbeResult = z.infer<typeof AgentProbeResultSchema>;
