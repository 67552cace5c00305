import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CALL_EVENTS_QUEUE,
  CallEventJobSchema,
  type CallEventType,
  type CallRecord,
  type NumberConfig,
} from '@voicebridge/protocol';
import type { RedisKeys } from '@voicebridge/store';
import type { Logger } from 'pino';
import { callEndedBody, callEventBody, type CallEventEnvelope } from './call-event-body.ts';
import { eventJobOptions } from './call-event-redelivery.ts';

/** What of a number decides its events: where they go, how they are signed, and what they may say. */
export type EventsNumber = Pick<NumberConfig, 'events' | 'insecure'>;

export interface CallEventPublisherOptions {
  /** Commands: the sequence INCR, and the queue's adds. Borrowed, never closed here. */
  redis: Redis;
  keys: RedisKeys;
  /** BullMQ's key prefix (`<REDIS_KEY_PREFIX>:bull`), as the calls queue has. */
  bullPrefix: string;
  /** TTL of the sequence key: the call record's. */
  ttlSeconds: number;
  /** EVENTS_MAX_ATTEMPTS, EVENTS_BACKOFF_MS. */
  attempts: number;
  backoffMs: number;
  log: Logger;
}

/**
 * Puts a call's events on the `call-events` queue, fire and forget: `publish` returns at once and
 * never throws, so a slow Redis or a receiver that is down never holds a call (delivery happens in
 * the agent's event worker, ADR 0022). The sequence is a per-call INCR in Redis because two
 * processes publish for one call (signaling and the agent); commands on one connection run in
 * order, so one process's events are numbered in the order it published them.
 */
export class CallEventPublisher {
  readonly #options: CallEventPublisherOptions;
  readonly #queue: Queue;
  readonly #pending = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;

  constructor(options: CallEventPublisherOptions) {
    this.#options = options;
    this.#queue = new Queue(CALL_EVENTS_QUEUE, { connection: options.redis, prefix: options.bullPrefix });
    this.#queue.on('error', (error) => options.log.warn({ err: error }, 'call-events queue error'));
  }

  /** An event whose `data` is known now (ringing, answered, a turn). No-op for a number without events. */
  publish(config: EventsNumber | undefined, callId: string, type: CallEventType, data: Record<string, unknown>): void {
    this.#track(config, callId, type, (envelope) => callEventBody(envelope, data));
  }

  /** call.ended carrying the record as it is now (read by the caller once its last write settled). */
  publishEnded(config: EventsNumber | undefined, record: CallRecord): void {
    const include = config?.events?.includeTranscript === true;
    this.#track(config, record.callId, 'call.ended', (envelope) => callEndedBody(envelope, record, include));
  }

  /** Waits for the events already published to reach the queue, then closes it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#pending]);
      await this.#queue.close();
    })();
    return this.#closing;
  }

  #track(
    config: EventsNumber | undefined,
    callId: string,
    type: CallEventType,
    body: (envelope: CallEventEnvelope) => string,
  ): void {
    const events = config?.events;
    if (events === undefined || this.#closing !== undefined) return;
    const occurredAtMs = Date.now();
    const adding = this.#add(callId, type, occurredAtMs, body, {
      url: events.url,
      secretEnv: events.secretEnv,
      insecure: config?.insecure === true,
      timeoutMs: events.timeoutMs ?? 10_000,
    })
      .catch((error: unknown) => this.#options.log.warn({ err: error, callId, type }, 'call event not queued'))
      .finally(() => this.#pending.delete(adding));
    this.#pending.add(adding);
  }

  async #add(
    callId: string,
    type: CallEventType,
    occurredAtMs: number,
    body: (envelope: CallEventEnvelope) => string,
    target: { url: string; secretEnv: string; insecure: boolean; timeoutMs: number },
  ): Promise<void> {
    const { redis, keys, ttlSeconds, attempts, backoffMs } = this.#options;
    const sequenceKey = keys.callEventSequence(callId);
    const [[, sequence] = []] = (await redis.multi().incr(sequenceKey).expire(sequenceKey, ttlSeconds).exec()) ?? [];
    const eventId = `evt_${randomBytes(16).toString('base64url')}`;
    const envelope = { type, eventId, callId, sequence: Number(sequence), occurredAtMs };
    const job = CallEventJobSchema.parse({ ...envelope, target, body: body(envelope) });
    await this.#queue.add(type, job, eventJobOptions(eventId, attempts, backoffMs));
  }
}
