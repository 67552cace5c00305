import { z } from 'zod';

const count = z.number().int().nonnegative();

/**
 * A `realtime` call's model as the record keeps it, written by the agent when the call ends: the
 * model, its tokens (summed from each `response.done`'s usage: what the provider bills), and what
 * happened on the session (replies, barge-ins and the truncates they sent, provider errors, reconnects, renewals).
 */
export const RealtimeUsageSchema = z.object({
  model: z.string().max(200),
  inputTokens: count,
  outputTokens: count,
  inputAudioTokens: count,
  inputTextTokens: count,
  outputAudioTokens: count,
  outputTextTokens: count,
  responses: count,
  bargeIns: count,
  truncates: count,
  errors: count,
  reconnects: count,
  /** Sessions replaced by a fresh one before the provider's maximum session length (or when it ended one as expired). */
  renewals: count.default(0),
});
export type RealtimeUsage = z.infer<typeof RealtimeUsageSchema>;
