import { z } from 'zod';
import type { CallRecord } from './call-record.ts';
import { CALL_ID_PATTERN } from './ids.ts';

/**
 * A request to the node that owns a call, published on that node's command channel (Redis pub/sub,
 * `RedisKeys.nodeCommands`). Fire and forget: the outcome shows in the call record (its verdict).
 */
export const NodeCommandSchema = z.discriminatedUnion('command', [
  z.object({
    command: z.literal('hangup'),
    callId: z.string().regex(CALL_ID_PATTERN, 'must be a call id'),
  }),
]);
export type NodeCommand = z.infer<typeof NodeCommandSchema>;

/**
 * The node that owns a call: the one place that decides which command channel reaches it. Records
 * written before node ids name none (undefined): no node can be asked.
 */
export function ownerNodeOf(record: Pick<CallRecord, 'nodeId'>): string | undefined {
  return record.nodeId;
}
