import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NodeCommandSchema, type NodeCommand } from '@voicebridge/protocol';

export interface NodeCommandsOptions {
  /** Duplicated for the subscription (a subscribed connection can do nothing else); not closed here. */
  redis: Redis;
  /** This node's command channel (`RedisKeys.nodeCommands(nodeId)`). */
  channel: string;
  onCommand: (command: NodeCommand) => void;
  log: Logger;
}

/**
 * This node's command channel: what the API asks of the calls this node owns (hang one up). Owns
 * its subscriber connection; a message that fails the schema is logged and dropped, never thrown,
 * since anyone who can publish to Redis can send one.
 */
export class NodeCommands {
  readonly #options: NodeCommandsOptions;
  readonly #subscriber: Redis;
  #closing: Promise<void> | undefined;

  constructor(options: NodeCommandsOptions) {
    this.#options = options;
    this.#subscriber = options.redis.duplicate({ connectionName: 'vb-node-commands' });
    this.#subscriber.on('error', (error: Error) =>
      options.log.warn({ err: error.message }, 'node command channel: Redis connection error'),
    );
    this.#subscriber.on('message', (channel: string, message: string) => this.#receive(channel, message));
  }

  /** Resolves once subscribed: from then on, a PUBLISH to the channel reaches this node. */
  async start(): Promise<void> {
    await this.#subscriber.subscribe(this.#options.channel);
  }

  close(): Promise<void> {
    this.#closing ??= this.#subscriber.quit().then(
      () => undefined,
      () => this.#subscriber.disconnect(),
    );
    return this.#closing;
  }

  #receive(channel: string, message: string): void {
    if (channel !== this.#options.channel) return;
    let json: unknown;
    try {
      json = JSON.parse(message.slice(0, 4096));
    } catch {
      json = undefined;
    }
    const parsed = NodeCommandSchema.safeParse(json);
    if (!parsed.success) {
      this.#options.log.warn({ bytes: message.length }, 'node command channel: message dropped (not a node command)');
      return;
    }
    this.#options.onCommand(parsed.data);
  }
}
