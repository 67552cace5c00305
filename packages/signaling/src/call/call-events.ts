import type { Redis } from 'ioredis';
import { CallEventPublisher, type EventsNumber } from '@voicebridge/events';
import type { BridgeConfig } from '@voicebridge/protocol';
import { CallRecordRepository, RedisKeys } from '@voicebridge/store';
import type { Logger } from 'pino';

/**
 * A call's events as signaling sees them: ringing at the 180, answered at the 200, ended once the
 * record's last write settled (its body is that record, read back). Nothing here is awaited by the
 * call: a slow Redis or receiver delays no SIP (ADR 0022). Owns the node's publisher; the Redis
 * connection is borrowed.
 */
export class CallEvents {
  readonly #publisher: CallEventPublisher;
  readonly #records: Pick<CallRecordRepository, 'get'>;
  readonly #log: Logger;

  constructor(config: BridgeConfig, redis: Redis, log: Logger) {
    const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
    this.#publisher = new CallEventPublisher({
      redis,
      keys,
      bullPrefix: `${config.REDIS_KEY_PREFIX}:bull`,
      ttlSeconds: config.CALL_RECORD_TTL_S,
      attempts: config.EVENTS_MAX_ATTEMPTS,
      backoffMs: config.EVENTS_BACKOFF_MS,
      log,
    });
    this.#records = new CallRecordRepository(redis, keys, { ttlSeconds: config.CALL_RECORD_TTL_S });
    this.#log = log;
  }

  publish(...args: Parameters<CallEventPublisher['publish']>): void {
    this.#publisher.publish(...args);
  }

  ended(config: EventsNumber | undefined, callId: string): void {
    if (config?.events === undefined) return;
    this.#records.get(callId).then(
      (record) => record !== undefined && this.#publisher.publishEnded(config, record),
      (error: unknown) => this.#log.warn({ err: error, callId }, 'call.ended not published: record unreadable'),
    );
  }

  /** After the calls have ended: their call.ended events still reach the queue. Idempotent. */
  close(): Promise<void> {
    return this.#publisher.close();
  }
}
