import { z } from 'zod';
import type { CallRecord } from './call-record.ts';
import { DTMF_DIGITS_PATTERN } from './channel-messages.ts';
import { CALL_ID_PATTERN } from './ids.ts';

/**
 * A request to the node that owns a call, published on that node's command channel (Redis pub/sub,
 * `RedisKeys.nodeCommands`): a hang-up, a transfer or key presses. Fire and forget: the outcome
 * shows in the call record (its verdict) and the node's log.
 */
export const NodeCommandSchema = z.discriminatedUnion('command', [
  z.object({
    command: z.literal('hangup'),
    callId: z.string().regex(CALL_ID_PATTERN, 'must be a call id'),
  }),
  /** REFER the caller to `target`; the node checks the number's transferTargets again before sending it. */
  z.object({
    command: z.literal('transfer'),
    callId: z.string().regex(CALL_ID_PATTERN, 'must be a call id'),
    target: z.string().min(1).max(256),
  }),
  /** Key presses to the caller as RFC 4733 telephone-events. */
  z.object({
    command: z.literal('dtmf'),
    callId: z.string().regex(CALL_ID_PATTERN, 'must be a call id'),
    digits: z.string().regex(DTMF_DIGITS_PATTERN, 'must be 1–32 of 0-9 * # A-D'),
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
