import { z } from 'zod';
import { StoredNumberConfigSchema } from './number-config-v1.ts';

/** BullMQ queue that carries calls: one job per call, jobId = callId. */
export const CALLS_QUEUE = 'calls';

/**
 * The job payload: everything an agent worker needs to run the call without asking signaling.
 * The number config is a snapshot taken at INVITE time, so an edit mid-call does not change a live call.
 */
export const CallJobSchema = z.object({
  version: z.literal(1),
  callId: z.string(),
  number: z.string(),
  /** Read as v2 whichever version signaling wrote (jobs queued across an upgrade). */
  config: StoredNumberConfigSchema,
  codec: z.enum(['PCMU', 'PCMA']),
  sampleRateHz: z.literal(8000),
  ptimeMs: z.number().int().min(10).max(40),
  invitedAtMs: z.number().int(),
  /** `outbound`: a call we placed — the callee speaks first, so the greeting waits for it. Absent: inbound. */
  direction: z.enum(['inbound', 'outbound']).optional(),
});
export type CallJob = z.infer<typeof CallJobSchema>;
