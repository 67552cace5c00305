import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AgentDecisionSchema, CALLS_QUEUE, type AgentDecision, type CallJob } from '@voicebridge/protocol';

export interface AgentDispatcherOptions {
  /** Used by the queue; borrowed, not closed here. */
  connection: Redis;
  /** QueueEvents needs a blocking connection of its own; borrowed too. */
  eventsConnection: Redis;
  prefix: string;
  log: Logger;
  /** Completed/failed jobs are removed after this age. */
  keepJobsS?: number;
}

/** How a dispatch ended: the agent's decision, or none in time (and whether any agent had claimed the job). */
export type DispatchOutcome = AgentDecision | { decision: 'timeout'; claimed: boolean };

interface DecisionWaiter {
  claimed: boolean;
  decide: (decision: AgentDecision) => void;
}

/**
 * Puts one BullMQ job per call on the `calls` queue and tells what the agent worker that claimed it
 * decided. The agent reports `accept` or `refuse` as the job's progress (BullMQ's channel from a
 * worker to whoever watches the job), once it is subscribed to the call and ready; signaling answers
 * 200 OK only on `accept`, so a caller is never billed for silence nor for an agent that cannot talk.
 */
export class AgentDispatcher {
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #log: Logger;
  readonly #waiters = new Map<string, DecisionWaiter>();
  readonly #keepJobsS: number;
  #closed = false;

  constructor(options: AgentDispatcherOptions) {
    this.#queue = new Queue(CALLS_QUEUE, { connection: options.connection, prefix: options.prefix });
    this.#events = new QueueEvents(CALLS_QUEUE, { connection: options.eventsConnection, prefix: options.prefix });
    this.#log = options.log;
    this.#keepJobsS = options.keepJobsS ?? 3600;
    this.#events.on('active', ({ jobId }) => {
      const waiter = this.#waiters.get(jobId);
      if (waiter) waiter.claimed = true;
    });
    this.#events.on('progress', ({ jobId, data }) => this.#onProgress(jobId, data));
  }

  async ready(): Promise<void> {
    await Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady()]);
  }

  /**
   * Enqueues the call (jobId = callId, so a duplicate never enqueues twice) and resolves with the
   * claiming agent's decision, or `timeout` when none came within `timeoutMs` (the claim and the
   * agent's preparation both count). Rejects with the signal's reason when aborted.
   */
  async dispatch(job: CallJob, timeoutMs: number, signal: AbortSignal): Promise<DispatchOutcome> {
    signal.throwIfAborted();
    const waiter: DecisionWaiter = { claimed: false, decide: () => undefined };
    const decided = new Promise<DispatchOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(job.callId);
        resolve({ decision: 'timeout', claimed: waiter.claimed });
      }, timeoutMs);
      const onAbort = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(job.callId);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      waiter.decide = (decision) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#waiters.delete(job.callId);
        resolve(decision);
      };
      this.#waiters.set(job.callId, waiter);
    });
    decided.catch(() => undefined);
    await this.#queue.add('call', job, {
      jobId: job.callId,
      attempts: 1,
      removeOnComplete: { age: this.#keepJobsS },
      removeOnFail: { age: this.#keepJobsS },
    });
    // The decision may already be in the job before the event listener saw it (e.g. a reconnect).
    const added = await this.#queue.getJob(job.callId);
    if (added && typeof added.progress === 'object') this.#onProgress(job.callId, added.progress);
    return decided;
  }

  /** Removes a call's job if no agent took it yet. An active job ends when its media stops. */
  async withdraw(callId: string): Promise<void> {
    this.#waiters.delete(callId);
    const job = await this.#queue.getJob(callId);
    if (!job) return;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized')
      await job.remove().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters.clear();
    await this.#events.close();
    await this.#queue.close();
  }

  /** The receiving edge of the agent's decision: anything but a valid one is logged and ignored. */
  #onProgress(callId: string, data: unknown): void {
    const waiter = this.#waiters.get(callId);
    if (!waiter) return;
    const parsed = AgentDecisionSchema.safeParse(data);
    if (!parsed.success) {
      this.#log.warn({ callId }, `invalid agent decision ignored: ${parsed.error.message.slice(0, 300)}`);
      return;
    }
    waiter.decide(parsed.data);
  }
}
