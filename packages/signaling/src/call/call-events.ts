import type { Redis } from 'ioredis';
import { CallEventPublisher, type EventsNumber } from '@voicebridge/events';
import type { BridgeConfig } from '@voicebridge/protocol';
import { RedisKeys, type CallRecordRepository } from '@voicebridge/store';
import type { Logger } from 'pino';

/** The node's publisher, on the `calls` queue's BullMQ prefix; the redis connection is borrowed. */
export function callEventPublisher(config: BridgeConfig, redis: Redis, log: Logger): CallEventPublisher {
  return new CallEventPublisher({
    redis,
    keys: new RedisKeys(config.REDIS_KEY_PREFIX),
    bullPrefix: `${config.REDIS_KEY_PREFIX}:bull`,
    ttlSeconds: config.CALL_RECORD_TTL_S,
    attempts: config.EVENTS_MAX_ATTEMPTS,
    backoffMs: config.EVENTS_BACKOFF_MS,
    log,
  });
}

/**
 * A call's events as signaling sees them: ringing at the 180, answered at the 200, ended once the
 * record's last write settled (its body is that record, read back). Nothing here is awaited by the
 * call: a slow Redis or receiver delays no SIP (ADR 0022).
 */
export class CallEvents {
  readonly #publisher: Pick<CallEventPublisher, 'publish' | 'publishEnded'>;
  readonly #records: Pick<CallRecordRepository, 'get'>;
  readonly #log: Logger;

  constructor(
    publisher: Pick<CallEventPublisher, 'publish' | 'publishEnded'>,
    records: Pick<CallRecordRepository, 'get'>,
    log: Logger,
  ) {
    this.#publisher = publisher;
    this.#records = records;
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
}
