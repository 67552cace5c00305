import { z } from 'zod';
import { NodeCommandSchema } from './node-command.ts';

/**
 * The supervisor asks one of its signaling processes, over the fork IPC channel, to run a node
 * command on a call it holds. This path needs no Redis, so an operator's hang-up reaches a caller
 * on the node that serves the request while Redis is down.
 */
export const NodeCommandIpcRequestSchema = z.object({
  type: z.literal('node-command-request'),
  id: z.number().int().safe(),
  command: NodeCommandSchema,
});
export type NodeCommandIpcRequest = z.infer<typeof NodeCommandIpcRequestSchema>;

/** `live`: the call is live in that process and the command was carried out there. */
export const NodeCommandIpcReplySchema = z.object({
  type: z.literal('node-command-reply'),
  id: z.number().int().safe(),
  live: z.boolean(),
});
export type NodeCommandIpcReply = z.infer<typeof NodeCommandIpcReplySchema>;
