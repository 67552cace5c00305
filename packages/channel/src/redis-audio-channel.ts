import type { Redis } from 'ioredis';
import type { AudioChannel, CallChannel, ChannelSide } from './audio-channel.ts';
import { PublishBatcher } from './publish-batcher.ts';

export interface RedisAudioChannelOptions {
  /** Publishes frames. Auto-pipelining must be off on it (DESIGN.md: p99 0.66 → 5 ms with it on). */
  publisher: Redis;
  /** A connection this channel puts into subscriber mode: one per process, owned by the caller. */
  subscriber: Redis;
  keyPrefix: string;
  onError?: (error: Error) => void;
}

/**
 * AudioChannel over binary Redis pub/sub, one subscriber connection per process shared by every call;
 * what all calls publish in one event-loop turn leaves in one or two socket writes (PublishBatcher).
 * Pub/sub has no replay: a side subscribes before it announces itself (the agent's `ready`),
 * and media holds the caller's audio until then.
 */
export class RedisAudioChannel implements AudioChannel {
  readonly #options: RedisAudioChannelOptions;
  readonly #ends = new Map<string, RedisCallChannel>();
  readonly #onMessageBuffer: (channel: Buffer, message: Buffer) => void;
  readonly #batcher: PublishBatcher;
  #closed = false;

  constructor(options: RedisAudioChannelOptions) {
    if (options.publisher.options.enableAutoPipelining === true) {
      throw new Error('RedisAudioChannel: the publisher must not use enableAutoPipelining');
    }
    this.#options = options;
    this.#batcher = new PublishBatcher(options.publisher, (error) => this.#report(error));
    this.#onMessageBuffer = (channel, message) => {
      this.#ends.get(channel.toString('latin1'))?.deliver(message);
    };
    options.subscriber.on('messageBuffer', this.#onMessageBuffer);
  }

  channelName(callId: string, direction: 'up' | 'down'): string {
    return `${this.#options.keyPrefix}:audio:${callId}:${direction}`;
  }

  open(callId: string, side: ChannelSide, onMessage: (message: Buffer) => void): CallChannel {
    if (this.#closed) throw new Error('RedisAudioChannel is closed');
    const inbound = this.channelName(callId, side === 'media' ? 'down' : 'up');
    const outbound = this.channelName(callId, side === 'media' ? 'up' : 'down');
    if (this.#ends.has(inbound)) throw new Error(`channel for call ${callId} already open on the ${side} side`);
    const end = new RedisCallChannel(callId, outbound, onMessage, {
      publish: (channel, message) => this.#batcher.publish(channel, message),
      release: () => {
        this.#ends.delete(inbound);
        if (this.#closed) return;
        this.#options.subscriber.unsubscribe(inbound).catch((error: unknown) => this.#report(error));
      },
    });
    this.#ends.set(inbound, end);
    end.setReady(this.#options.subscriber.subscribe(inbound).then(() => undefined));
    return end;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const end of [...this.#ends.values()]) end.close();
    this.#batcher.close();
    this.#closed = true;
    this.#options.subscriber.off('messageBuffer', this.#onMessageBuffer);
  }

  #report(error: unknown): void {
    this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

interface ChannelHost {
  publish(channel: string, message: Buffer): void;
  release(): void;
}

class RedisCallChannel implements CallChannel {
  readonly callId: string;
  ready: Promise<void> = Promise.resolve();
  readonly #outbound: string;
  readonly #onMessage: (message: Buffer) => void;
  readonly #host: ChannelHost;
  #closed = false;

  constructor(callId: string, outbound: string, onMessage: (message: Buffer) => void, host: ChannelHost) {
    this.callId = callId;
    this.#outbound = outbound;
    this.#onMessage = onMessage;
    this.#host = host;
  }

  setReady(ready: Promise<void>): void {
    this.ready = ready;
    // Observed here so a subscribe failure is never an unhandled rejection; callers await `ready`.
    ready.catch(() => undefined);
  }

  deliver(message: Buffer): void {
    if (!this.#closed) this.#onMessage(message);
  }

  send(message: Buffer): void {
    if (!this.#closed) this.#host.publish(this.#outbound, message);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.release();
  }
}
