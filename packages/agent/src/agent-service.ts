import { WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedisAudioChannel } from '@voicebridge/channel';
import type { OutboundHttp } from '@voicebridge/outbound';
import { CALLS_QUEUE, PROBE_JOB_NAME, type BridgeConfig } from '@voicebridge/protocol';
import { CallOwnership, CallRecordRepository, ConversationRepository, RedisKeys } from '@voicebridge/store';
import type { Logger } from 'pino';
import type { LanguageModelFactory } from './agents/language-model-factory.ts';
import type { BotSecretSource } from './bot/bot-secrets.ts';
import { AgentMetrics } from './agent-metrics.ts';
import { CallRunner, type CallRunnerOptions, type RunOutcome } from './call-runner.ts';
import type { SpeechToText } from './stt/speech-to-text.ts';
import type { TextToSpeech } from './tts/text-to-speech.ts';

export interface AgentServiceOptions {
  config: BridgeConfig;
  log: Logger;
  /** Commands and publishing. Borrowed. */
  redis: Redis;
  /** Put into subscriber mode for the audio channel. Borrowed. */
  subscriber: Redis;
  /** BullMQ worker's blocking connection. Borrowed. */
  workerRedis: Redis;
  engines: { stt: SpeechToText; tts: TextToSpeech };
  /** The models of `llm` numbers (keys resolved by the caller, see `createLanguageModelFactory`). */
  models?: LanguageModelFactory;
  /** Requests to the URLs numbers give (webhook tools), under the outbound URL policy. Borrowed. */
  outbound?: OutboundHttp;
  /** Where `websocket` numbers' header and token variables are read (AGENT_SECRET_ENV applies). */
  secrets?: BotSecretSource;
  /** The process's metrics (turn latency, barge-ins, claim time); private ones when absent. */
  metrics?: AgentMetrics;
  /** Cloud speech engines of numbers that name them; absent: every number runs on `engines`. */
  cloud?: CallRunnerOptions['cloud'];
  /** Queues the calls' `call.turn` events. Borrowed. */
  events?: CallRunnerOptions['events'];
}

/**
 * The agent worker pool of one process: a BullMQ worker on the `calls` queue, one job per call,
 * up to AGENT_CONCURRENCY calls at once. The job's lock is the call's ownership (docs/adr/0010): a
 * short lock (AGENT_LOCK_DURATION_MS) renewed every half of it; when a process dies, another one's
 * stalled-job check (every AGENT_STALLED_INTERVAL_MS) moves the job back to wait and whoever takes it
 * claims the next owner epoch and resumes the conversation. Closing hands the calls in hand back.
 */
export class AgentService {
  readonly #worker: Worker;
  readonly #channel: RedisAudioChannel;
  readonly #controllers = new Set<AbortController>();
  /** The calls this process runs, by call id: a job that comes back for one of them is adopted. */
  readonly #running = new Map<string, Promise<RunOutcome>>();
  #closing: Promise<void> | undefined;
  #handingBack = false;

  constructor(options: AgentServiceOptions) {
    const { config, log } = options;
    const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
    const metrics = options.metrics ?? new AgentMetrics();
    this.#channel = new RedisAudioChannel({
      publisher: options.redis,
      subscriber: options.subscriber,
      keyPrefix: config.REDIS_KEY_PREFIX,
      onError: (error) => log.warn({ err: error }, 'audio channel error'),
    });
    const runner = new CallRunner({
      channel: this.#channel,
      records: new CallRecordRepository(options.redis, keys, { ttlSeconds: config.CALL_RECORD_TTL_S }),
      stt: options.engines.stt,
      tts: options.engines.tts,
      greetingDelayMs: config.GREETING_DELAY_MS,
      log,
      models: options.models,
      outbound: options.outbound,
      secrets: options.secrets,
      turnObserver: metrics,
      events: options.events,
      cloud: options.cloud && { ...options.cloud, engineFailed: (provider) => metrics.engineFailed(provider) },
      failover: {
        ownership: new CallOwnership(options.redis, keys),
        conversations: new ConversationRepository(options.redis, keys),
        heartbeatMs: config.AGENT_HEARTBEAT_MS,
      },
    });
    this.#worker = new Worker(
      CALLS_QUEUE,
      async (job, token, signal) => {
        // A takeover (attemptsStarted > 1) waited for a stalled check, not for a free agent.
        if (job.attemptsStarted <= 1) metrics.claimed(Date.now() - job.timestamp);
        const controller = new AbortController();
        this.#controllers.add(controller);
        const onAbort = (): void => controller.abort(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          if (job.name === PROBE_JOB_NAME) return await runner.probe(job.data, controller.signal);
          const callId = (job.data as { callId?: unknown }).callId;
          const ours = typeof callId === 'string' ? this.#running.get(callId) : undefined;
          // Our lock ran out while Redis was away and the stalled check gave the call back to us: the
          // call still runs here (its channel open, perhaps its hang-up sent), so the new job adopts it
          // instead of claiming a second owner in this process, which could not open the channel,
          // failed, and fenced out the running one (the call then ended agent-lost).
          if (ours !== undefined) log.warn({ callId }, 'our own call came back to us after a lost lock: keeping it');
          // The decision reaches signaling as the job's progress (QueueEvents `progress`).
          const running = ours ?? runner.run(job.data, controller.signal, (decision) => job.updateProgress(decision));
          if (ours === undefined && typeof callId === 'string') {
            this.#running.set(callId, running);
            running
              .finally(() => {
                if (this.#running.get(callId) === running) this.#running.delete(callId);
              })
              .catch(() => undefined); // the failure is this job's, reported below
          }
          const outcome = await running;
          if (!outcome.released) return outcome;
          // Shutting down: the job goes back to wait for another agent. Lost the lock: it is someone
          // else's already. Either way this worker must not complete it (WaitingError says so).
          if (this.#handingBack && token !== undefined) {
            await job
              .moveToWait(token)
              .catch((error: unknown) => log.warn({ err: error, callId: job.id }, 'could not hand the call back'));
            log.info({ callId: job.id }, 'call handed back to the queue');
          }
          throw new WaitingError();
        } finally {
          signal?.removeEventListener('abort', onAbort);
          this.#controllers.delete(controller);
        }
      },
      {
        connection: options.workerRedis,
        prefix: `${config.REDIS_KEY_PREFIX}:bull`,
        concurrency: config.AGENT_CONCURRENCY,
        autorun: false,
        lockDuration: config.AGENT_LOCK_DURATION_MS,
        stalledInterval: config.AGENT_STALLED_INTERVAL_MS,
        maxStalledCount: config.AGENT_MAX_STALLED_COUNT,
      },
    );
    // Our lock is gone (an event loop stalled past it, a Redis restart): the stalled check may give
    // the call to another agent, whose higher epoch then fences us out (media sends `owner`). Until
    // then we keep the call going: after a Redis that lost its data, nobody else ever will.
    this.#worker.on('lockRenewalFailed', (jobIds) => log.warn({ callIds: jobIds }, 'call lock renewal failed'));
    this.#worker.on('failed', (job, error) => log.error({ err: error, callId: job?.id }, 'call job failed'));
    this.#worker.on('error', (error) => log.error({ err: error }, 'agent worker error'));
  }

  async start(): Promise<void> {
    await this.#worker.waitUntilReady();
    void this.#worker.run().catch(() => undefined);
  }

  get activeCalls(): number {
    return this.#controllers.size;
  }

  /**
   * Stops taking calls and hands the ones in hand back to the queue (another agent resumes them;
   * with none, media ends them with `agent-lost`), instead of waiting for long calls to end.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#handingBack = true;
      const closing = this.#worker.close();
      for (const controller of this.#controllers)
        controller.abort(new Error('agent worker shutting down: handing the call back'));
      await closing;
      await this.#channel.close();
    })();
    return this.#closing;
  }
}
