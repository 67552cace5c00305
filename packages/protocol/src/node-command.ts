import { z } from 'zod';
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

/** Until nodes have their own ids, every call belongs to this one; see ownerNodeOf. */
export const DEFAULT_NODE_ID = 'node';

/**
 * The node that owns a call, the one place that decides which command channel reaches it. Records
 * carry no node id yet, so every call maps to the one node; when they do, this reads it.
 */
export function ownerNodeOf(record: object): string {
  const nodeId = (record as { nodeId?: unknown }).nodeId;
  return typeof nodeId === 'string' ? nodeId : DEFAULT_NODE_ID;
}
