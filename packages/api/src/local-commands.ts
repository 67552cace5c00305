import type { NodeCommand } from '@voicebridge/protocol';

/**
 * The node that serves the request, reached without Redis (the supervisor asks its signaling
 * processes over IPC). `run` resolves true when one of them held the call live and carried the
 * command out; false sends the route the Redis way (the call's owning node, by its record).
 */
export interface LocalCommands {
  nodeId: string;
  run(command: NodeCommand): Promise<boolean>;
}
