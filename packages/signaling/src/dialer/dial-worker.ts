import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  checkDialGuards,
  DIAL_QUEUE,
  DialRequestSchema,
  type DialOutcome,
  type DialRequest,
  type TrunkConfig,
} from '@voicebridge/protocol';
import { CallRecordRepository, DialLimits, TrunkRepository, type RedisKeys } from '@voicebridge/store';
import { endUnplacedDial } from './unplaced-dial.ts';

/** What the worker needs of the signaling node (SignalingService and its CallManager). */
export interface OutboundDialler {
  /** Places the call; resolves at the answer or the end; `onInviteSending` runs right before the INVITE leaves. */
  dial(
    request: DialRequest,
    hooks: { signal?: AbortSignal; onInviteSending?: () => Promise<void> },
  ): Promise<DialOutcome>;
  /** Calls in progress on this node through a trunk, both directions (its `maxCalls`). */
  callsOnTrunk(trunk: string): number;
  /** Whether this node still holds the call (an answered call until it ends). */
  isLive(callId: string): boolean;
}

export interface DialWorkerOptions {
  /** For BullMQ's blocking reads (maxRetriesPerRequest null). Borrowed. */
  workerRedis: Redis;
  /** Commands: trunks, limits, records. Borrowed. */
  redis: Redis;
  keys: RedisKeys;
  dialler: OutboundDialler;
  log: Logger;
  /** Dials this node works on at once (each is a call ringing). */
  concurrency: number;
  /** How often an answered call is looked at to free its channel and count its minutes. */
  endPollMs?: number;
  /** BullMQ's job lock and stalled check (defaults 30 s): how soon a dead node's dial is looked at again. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** How long a call over a rate or channel limit waits on the queue before it asks again. */
const FULL_RETRY_MS = 250;

/**
 * A channel's lease beyond the ring timeout, renewed every end poll while the call lives: a node
 * that dies frees its channels within this, instead of holding them for a call's longest length.
 */
const CHANNEL_LEASE_MS = 120_000;

/**
 * The `dial` queue's worker, in the signaling process: it takes a dial job, checks the guards again
 * (the trunk may have changed while it waited), waits for a channel and a CPS token, counts the day,
 * and hands the call to the UAC. No double dialing: `inviteSentAt` is written to Redis right before
 * the first INVITE leaves; a job that finds it (retried after this process died, or a duplicate) ends
 * `failed` with detail `bridge-restart` and is never dialled again, since the callee may have rung.
 */
export class DialWorker {
  readonly #options: DialWorkerOptions;
  readonly #worker: Worker<unknown, DialOutcome>;
  readonly #trunks: TrunkRepository;
  readonly #limits: DialLimits;
  readonly #records: CallRecordRepository;
  readonly #controllers = new Set<AbortController>();
  /** Answered calls whose channel is held until they end. */
  readonly #holding = new Map<string, { trunk: string; answeredAtMs: number }>();
  #endPoll: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: DialWorkerOptions) {
    this.#options = options;
    this.#trunks = new TrunkRepository(options.redis, options.keys);
    this.#limits = new DialLimits(options.redis, options.keys);
    this.#records = new CallRecordRepository(options.redis, options.keys);
    this.#worker = new Worker(DIAL_QUEUE, (job, token, signal) => this.#process(job, token, signal), {
      connection: options.workerRedis,
      prefix: `${options.keys.prefix}:bull`,
      concurrency: options.concurrency,
      autorun: false,
      ...(options.lockDurationMs !== undefined && { lockDuration: options.lockDurationMs }),
      ...(options.stalledIntervalMs !== undefined && { stalledInterval: options.stalledIntervalMs }),
    });
    this.#worker.on('failed', (job, error) => options.log.error({ err: error, callId: job?.id }, 'dial job failed'));
    this.#worker.on('error', (error) => options.log.error({ err: error }, 'dial worker error'));
    this.#endPoll = setInterval(() => void this.#sweepEnded(), options.endPollMs ?? 1000);
    this.#endPoll.unref();
  }

  async start(): Promise<void> {
    await this.#worker.waitUntilReady();
    void this.#worker.run().catch(() => undefined);
  }

  async #process(
    job: Job<unknown, DialOutcome>,
    token: string | undefined,
    signal?: AbortSignal,
  ): Promise<DialOutcome> {
    const parsed = DialRequestSchema.safeParse(job.data);
    if (!parsed.success) {
      this.#options.log.error({ jobId: job.id }, `dial job refused: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return { verdict: 'failed', attempts: 0, detail: 'invalid dial request' };
    }
    const request = parsed.data;
    const log = this.#options.log.child({ callId: request.callId, trunk: request.trunk });
    if ((await this.#limits.inviteSentAt(request.callId)) !== undefined) {
      log.warn('dial job retried after its INVITE left: not dialled again');
      return this.#unplaced(request, 'bridge-restart');
    }
    const trunk = await this.#trunks.get(request.trunk);
    const guard = checkDialGuards(trunk, request.trunk, { to: request.destination, from: request.callerId });
    if (!guard.ok || trunk === undefined) {
      const detail = guard.ok ? 'trunk: gone' : guard.refusal.message;
      log.warn(`dial refused at dial time: ${detail}`);
      return this.#unplaced(request, detail);
    }
    if (!(await this.#admitted(request, trunk, job, token))) throw new DelayedError();
    const day = await this.#limits.countDailyCall(trunk.name, trunk.outbound ?? {});
    if (day !== 'ok') {
      await this.#limits.releaseChannel(trunk.name, request.callId);
      return this.#unplaced(request, `${day}: trunk ${trunk.name} reached its cap for today (UTC; --${day})`);
    }
    return this.#place(request, trunk, signal, log);
  }

  /**
   * A channel (the trunk's outbound calls in Redis, and its calls both ways on this node) and a CPS
   * token, or the job goes back to the delayed set to ask again; true when the call may go.
   */
  async #admitted(request: DialRequest, trunk: TrunkConfig, job: Job, token: string | undefined): Promise<boolean> {
    const leaseMs = request.ringTimeoutS * 1000 + CHANNEL_LEASE_MS;
    const localFull = trunk.maxCalls !== undefined && this.#options.dialler.callsOnTrunk(trunk.name) >= trunk.maxCalls;
    const channel =
      !localFull && (await this.#limits.takeChannel(trunk.name, request.callId, leaseMs, trunk.outbound?.maxCalls));
    let waitMs = channel ? 0 : FULL_RETRY_MS;
    if (channel && trunk.outbound?.callsPerSecond !== undefined) {
      waitMs = await this.#limits.takeCallToken(trunk.name, trunk.outbound.callsPerSecond);
      if (waitMs > 0) await this.#limits.releaseChannel(trunk.name, request.callId);
    }
    if (waitMs === 0) return true;
    await job.moveToDelayed(Date.now() + waitMs, token);
    return false;
  }

  async #place(
    request: DialRequest,
    trunk: TrunkConfig,
    signal: AbortSignal | undefined,
    log: Logger,
  ): Promise<DialOutcome> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await this.#options.dialler.dial(request, {
        signal: controller.signal,
        onInviteSending: async () => {
          const first = await this.#limits.markInviteSent(request.callId, Date.now(), 86_400_000);
          // Another worker sent it (a duplicate job): the INVITE must not leave twice.
          if (!first) throw new Error('inviteSentAt already set: this call was dialled once');
        },
      });
      if (outcome.verdict === 'answered' && this.#options.dialler.isLive(request.callId)) {
        this.#holding.set(request.callId, { trunk: trunk.name, answeredAtMs: Date.now() });
      } else {
        await this.#limits.releaseChannel(trunk.name, request.callId);
      }
      log.info({ verdict: outcome.verdict, finalStatus: outcome.finalStatus }, `dial ${outcome.verdict}`);
      return outcome;
    } catch (error) {
      await this.#limits.releaseChannel(trunk.name, request.callId);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#controllers.delete(controller);
    }
  }

  #unplaced(request: DialRequest, detail: string): Promise<DialOutcome> {
    return endUnplacedDial(this.#records, request, detail, this.#options.log);
  }

  /** Answered calls: renew the channels of live ones; free those that ended, adding their minutes to the day. */
  async #sweepEnded(): Promise<void> {
    for (const [callId, held] of [...this.#holding]) {
      if (this.#options.dialler.isLive(callId)) {
        await this.#limits
          .takeChannel(held.trunk, callId, CHANNEL_LEASE_MS, undefined)
          .catch((error: unknown) => this.#options.log.warn({ err: error, callId }, 'could not renew a dial channel'));
        continue;
      }
      this.#holding.delete(callId);
      const seconds = (Date.now() - held.answeredAtMs) / 1000;
      await Promise.all([
        this.#limits.releaseChannel(held.trunk, callId),
        this.#limits.addAnsweredSeconds(held.trunk, seconds, held.answeredAtMs),
      ]).catch((error: unknown) => this.#options.log.warn({ err: error, callId }, 'could not release a dial channel'));
    }
  }

  /** Stops taking dials, cancels those still ringing (CANCEL), waits for the worker. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#endPoll);
      this.#endPoll = undefined;
      for (const controller of this.#controllers) controller.abort(new Error('shutting down'));
      await this.#worker.close();
      await this.#sweepEnded();
    })();
    return this.#closing;
  }
}
