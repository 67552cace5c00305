import { z } from 'zod';
import {
  checkDialGuards,
  DIAL_RING_TIMEOUT_DEFAULT_S,
  DialRefusedError,
  DialRequestSchema,
  newCallId,
  type DialRequest,
} from '@voicebridge/protocol';
import type { DialLimits, NumberRepository, TrunkRepository } from '@voicebridge/store';

/** What `POST /api/v1/calls` and `voicebridge dial` take: the same fields, the same checks. */
export const DialInputSchema = z
  .object({
    to: DialRequestSchema.shape.destination,
    trunk: DialRequestSchema.shape.trunk,
    number: DialRequestSchema.shape.number,
    from: DialRequestSchema.shape.callerId.optional(),
    ringTimeoutS: DialRequestSchema.shape.ringTimeoutS.optional(),
    metadata: DialRequestSchema.shape.metadata.optional(),
  })
  .strict();
export type DialInput = z.infer<typeof DialInputSchema>;

export interface DialSubmitDeps {
  trunks: TrunkRepository;
  numbers: NumberRepository;
  limits: DialLimits;
  /** Puts the request on the `dial` queue (jobId = callId); the signaling node's worker places it. */
  enqueue: (request: DialRequest) => Promise<void>;
  nowMs?: () => number;
}

/**
 * Checks a dial and queues it: the guards (trunk, caller id, destination, premium rate), the number
 * whose agent talks, and today's caps as they stand. The worker checks all of them again when it
 * dials (the trunk may change while the job waits) and counts the call then. Throws DialRefusedError
 * naming the rule; returns the new call's id at once.
 */
export async function submitDial(
  deps: DialSubmitDeps,
  input: DialInput,
): Promise<{ callId: string; request: DialRequest }> {
  const trunk = await deps.trunks.get(input.trunk);
  const guard = checkDialGuards(trunk, input.trunk, { to: input.to, ...(input.from && { from: input.from }) });
  if (!guard.ok) throw new DialRefusedError(guard.refusal);
  const number = await deps.numbers.get(input.number);
  if (number === undefined || !number.enabled) {
    throw new DialRefusedError({
      rule: 'number',
      field: 'number',
      message: `number: ${input.number} is ${number === undefined ? 'not configured' : 'disabled'}; its agent talks to the callee (voicebridge numbers set)`,
    });
  }
  const outbound = trunk?.outbound ?? {};
  const nowMs = (deps.nowMs ?? Date.now)();
  const today = await deps.limits.today(input.trunk, nowMs);
  if (outbound.dailyMaxCalls !== undefined && today.calls >= outbound.dailyMaxCalls) {
    throw new DialRefusedError({
      rule: 'daily-max-calls',
      field: 'trunk',
      message: `daily-max-calls: trunk ${input.trunk} has started ${today.calls} of its ${outbound.dailyMaxCalls} calls today (UTC; --daily-max-calls)`,
    });
  }
  if (outbound.dailyMaxMinutes !== undefined && today.minutes >= outbound.dailyMaxMinutes) {
    throw new DialRefusedError({
      rule: 'daily-max-minutes',
      field: 'trunk',
      message: `daily-max-minutes: trunk ${input.trunk} has used ${today.minutes} of its ${outbound.dailyMaxMinutes} minutes today (UTC; --daily-max-minutes)`,
    });
  }
  const callId = newCallId(nowMs);
  const request = DialRequestSchema.parse({
    version: 1,
    callId,
    trunk: input.trunk,
    destination: input.to,
    callerId: guard.callerId,
    number: input.number,
    ringTimeoutS: input.ringTimeoutS ?? DIAL_RING_TIMEOUT_DEFAULT_S,
    metadata: input.metadata ?? {},
    requestedAtMs: nowMs,
  });
  await deps.enqueue(request);
  return { callId, request };
}
