import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { CALL_EVENTS_QUEUE, VoicebridgeError, type CallEventJob, type NumberConfig } from '@voicebridge/protocol';
import type { CallEventDeadLetters } from '@voicebridge/store';
import { RECEIVER_BACKOFF } from './receiver-backoff.ts';

/** How every call-event job is queued, first time or again: one job per event id, retried on our schedule. */
export function eventJobOptions(eventId: string, attempts: number, backoffMs: number): JobsOptions {
  return {
    jobId: eventId,
    attempts,
    // The spec asks for exponential back-off "with some level of random jitter"; the worker's
    // strategy adds the receiver's Retry-After.
    backoff: { type: RECEIVER_BACKOFF, delay: backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
}

export interface CallEventRedeliveryOptions {
  /** Commands. Borrowed, never closed here. */
  redis: Redis;
  bullPrefix: string;
  deadLetters: Pick<CallEventDeadLetters, 'take'>;
  /** EVENTS_MAX_ATTEMPTS, EVENTS_BACKOFF_MS: a redelivered event gets the full schedule again. */
  attempts: number;
  backoffMs: number;
}

/**
 * An operator's "deliver these again" for one call (`POST /api/v1/calls/{id}/events/redeliver`,
 * `voicebridge calls events ID --redeliver`): its dead letters go back on the queue with their
 * event id, sequence and exact body (a receiver that saw one before dedupes on `webhook-id`), to
 * the number's events URL and secret as they are now, so a fixed URL is the one used.
 */
export class CallEventRedelivery {
  readonly #options: CallEventRedeliveryOptions;
  readonly #queue: Queue;
  #closing: Promise<void> | undefined;

  constructor(options: CallEventRedeliveryOptions) {
    this.#options = options;
    this.#queue = new Queue(CALL_EVENTS_QUEUE, { connection: options.redis, prefix: options.bullPrefix });
    this.#queue.on('error', () => undefined); // the caller sees a failed add
  }

  /** The event ids queued again, oldest first; none when the call has no dead letters with their job. */
  async redeliver(callId: string, number: Pick<NumberConfig, 'events' | 'insecure'> | undefined): Promise<string[]> {
    const events = number?.events;
    if (events === undefined)
      throw new VoicebridgeError('VB_CONFLICT', "events: the call's number sends no events now; nothing to deliver to");
    const { attempts, backoffMs } = this.#options;
    const target: CallEventJob['target'] = {
      url: events.url,
      secretEnv: events.secretEnv,
      insecure: number?.insecure === true,
      timeoutMs: events.timeoutMs ?? 10_000,
    };
    const letters = await this.#options.deadLetters.take(callId);
    for (const { job } of letters)
      await this.#queue.add(job.type, { ...job, target }, eventJobOptions(job.eventId, attempts, backoffMs));
    return letters.map((letter) => letter.eventId);
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#queue.close();
    return this.#closing;
  }
}
