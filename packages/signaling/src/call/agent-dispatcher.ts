import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { CALLS_QUEUE, type CallJob } from '@voicebridge/protocol';

export interface AgentDispatcherOptions {
  /** Used by the queue; borrowed, not closed here. */
  connection: Redis;
  /** QueueEvents needs a blocking connection of its own; borrowed too. */
  eventsConnection: Redis;
  prefix: string;
  /** Completed/failed jobs are removed after this age. */
  keepJobsS?: number;
}

/**
 * Puts one BullMQ job per call on the `calls` queue and tells when an agent worker claimed it.
 * Signaling answers 200 OK only after the claim, so a caller is never billed for silence.
 */
export class AgentDispatcher {
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #claimWaiters = new Map<string, () => void>();
  readonly #keepJobsS: number;
  #closed = false;

  constructor(options: AgentDispatcherOptions) {
    this.#queue = new Queue(CALLS_QUEUE, { connection: options.connection, prefix: options.prefix });
    this.#events = new QueueEvents(CALLS_QUEUE, { connection: options.eventsConnection, prefix: options.prefix });
    this.#keepJobsS = options.keepJobsS ?? 3600;
    this.#events.on('active', ({ jobId }) => {
      const waiter = this.#claimWaiters.get(jobId);
      if (waiter) {
        this.#claimWaiters.delete(jobId);
        waiter();
      }
    });
  }

  async ready(): Promise<void> {
    await Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady()]);
  }

  /**
   * Enqueues the call (jobId = callId, so a duplicate never enqueues twice) and resolves true once
   * an agent claims it, false after `timeoutMs`. Rejects with the signal's reason when aborted.
   */
  async dispatch(job: CallJob, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    signal.throwIfAborted();
    const claimed = new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#claimWaiters.delete(job.callId);
        resolve(false);
      }, timeoutMs);
      const onAbort = (): void => {
        clearTimeout(timer);
        this.#claimWaiters.delete(job.callId);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#claimWaiters.set(job.callId, () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
    claimed.catch(() => undefined);
    await this.#queue.add('call', job, {
      jobId: job.callId,
      attempts: 1,
      removeOnComplete: { age: this.#keepJobsS },
      removeOnFail: { age: this.#keepJobsS },
    });
    // The claim may already have happened before the event listener saw it (e.g. a reconnect).
    const state = await this.#queue.getJobState(job.callId);
    if (state === 'active' || state === 'completed') this.#claimWaiters.get(job.callId)?.();
    return claimed;
  }

  /** Removes a call's job if no agent took it yet. An active job ends when its media stops. */
  async withdraw(callId: string): Promise<void> {
    this.#claimWaiters.delete(callId);
    const job = await this.#queue.getJob(callId);
    if (!job) return;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized')
      await job.remove().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#claimWaiters.clear();
    await this.#events.close();
    await this.#queue.close();
  }
}
