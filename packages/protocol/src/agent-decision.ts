import { z } from 'zod';
import type { TerminationReason } from './verdicts.ts';

/**
 * The verdicts an agent may refuse a call with (a subset of TERMINATION_REASONS, docs/errors.md):
 * `agent-misconfigured` when the number's agent cannot run on this worker (e.g. its key variable is
 * not set), `bot-unreachable` when a `websocket` number's bot cannot be reached, `model-unreachable`
 * when a `realtime` number's model cannot be reached, `engine-outage` when a speech provider is
 * down and no offline fallback may take the call, `agent-refused` for
 * any other no (a model that declines).
 */
export const AGENT_REFUSAL_CODES = [
  'agent-refused',
  'agent-misconfigured',
  'bot-unreachable',
  'model-unreachable',
  'engine-outage',
] as const satisfies readonly TerminationReason[];
export type AgentRefusalCode = (typeof AGENT_REFUSAL_CODES)[number];

/**
 * Final statuses a refusal may not use: RFC 3261 §21.4 makes each of them carry a header the
 * refusal has no value for (401 WWW-Authenticate, 405 Allow, 407 Proxy-Authenticate, 420
 * Unsupported, 421 Require, 422 Min-SE, 423 Min-Expires), or gives it another meaning (487: the
 * caller cancelled).
 */
const STATUSES_NOT_FOR_REFUSALS: readonly number[] = [401, 405, 407, 420, 421, 422, 423, 487];

/**
 * What the agent that claimed a call's job says before signaling answers it: `accept` (signaling
 * answers 200 OK) or `refuse` (the caller gets `sipStatus`, the record the verdict `code` and
 * `reason`). Carried as the job's BullMQ progress (docs/architecture.md), validated where signaling
 * reads it; `reason` names what is missing, never a secret's value.
 */
export const AgentDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('accept') }),
  z.object({
    decision: z.literal('refuse'),
    code: z.enum(AGENT_REFUSAL_CODES),
    reason: z.string().min(1).max(500),
    sipStatus: z
      .number()
      .int()
      .min(400)
      .max(699)
      .refine((status) => !STATUSES_NOT_FOR_REFUSALS.includes(status), 'needs headers or means a cancel'),
  }),
]);
export type AgentDecision = z.infer<typeof AgentDecisionSchema>;
export type AgentRefusal = Extract<AgentDecision, { decision: 'refuse' }>;
