import {
  NodeCommandIpcReplySchema,
  NodeCommandIpcRequestSchema,
  type NodeCommand,
  type NodeCommandIpcReply,
} from '@voicebridge/protocol';
import { IpcRequester } from '@voicebridge/protocol';

/** The side of an IPC channel a child sees: `process` itself in a forked service. */
export interface NodeCommandPort {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  send?: ((message: unknown) => boolean) | undefined;
}

/**
 * Answers the supervisor's node commands in a signaling process until the returned function is
 * called: `run` carries the command out and says whether the call is live here. A malformed request
 * is ignored (the supervisor's request times out). A process with no IPC channel never gets one.
 */
export function answerNodeCommands(port: NodeCommandPort, run: (command: NodeCommand) => boolean): () => void {
  const listener = (message: unknown): void => {
    if ((message as { type?: unknown } | null)?.type !== 'node-command-request') return;
    const parsed = NodeCommandIpcRequestSchema.safeParse(message);
    if (!parsed.success) return;
    let live = false;
    try {
      live = run(parsed.data.command);
    } catch {
      // Not carried out here: the supervisor falls back to the Redis command channel.
    }
    port.send?.({ type: 'node-command-reply', id: parsed.data.id, live } satisfies NodeCommandIpcReply);
  };
  port.on('message', listener);
  return () => void port.off('message', listener);
}

/** The supervisor's end for one signaling process. */
export class NodeCommandRequester {
  readonly #requester: IpcRequester<NodeCommandIpcReply>;

  constructor(send: (message: unknown) => boolean) {
    this.#requester = new IpcRequester({
      send,
      requestType: 'node-command-request',
      replyType: 'node-command-reply',
      parseReply: (message) => {
        const parsed = NodeCommandIpcReplySchema.safeParse(message);
        return parsed.success ? parsed.data : undefined;
      },
    });
  }

  /** True when the process had the call live and carried the command out; rejects on timeout or exit. */
  async run(command: NodeCommand, timeoutMs: number): Promise<boolean> {
    return (await this.#requester.request({ command }, timeoutMs)).live;
  }

  handle(message: unknown): boolean {
    return this.#requester.handle(message);
  }

  close(): void {
    this.#requester.close();
  }
}
