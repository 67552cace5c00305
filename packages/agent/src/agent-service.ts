import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedisAudioChannel } from '@voicebridge/channel';
import { CALLS_QUEUE, type BridgeConfig } from '@voicebridge/protocol';
import { CallRecordRepository, RedisKeys } from '@voicebridge/store';
import type { Logger } from 'pino';
import type { LanguageModelFactory } from './agents/language-model-factory.ts';
import { CallRunner } from './call-runner.ts';
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
}

/**
 * The agent worker pool of one process: a BullMQ worker on the `calls` queue, one job per call,
 * up to AGENT_CONCURRENCY calls at once. The job's lock is the call's ownership.
 */
export class AgentService {
  readonly #worker: Worker;
  readonly #channel: RedisAudioChannel;
  readonly #controllers = new Set<AbortController>();
  #closing: Promise<void> | undefined;

  constructor(options: AgentServiceOptions) {
    const { config, log } = options;
    const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
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
    });
    this.#worker = new Worker(
      CALLS_QUEUE,
      async (job, _token, signal) => {
        const controller = new AbortController();
        this.#controllers.add(controller);
        const onAbort = (): void => controller.abort(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          return await runner.run(job.data, controller.signal);
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
      },
    );
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

  /** Stops taking calls, ends the ones in hand (each hangs up with `drain`), waits for their jobs. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closing = this.#worker.close();
      for (const controller of this.#controllers) controller.abort(new Error('agent worker shutting down'));
      await closing;
      await this.#channel.close();
    })();
    return this.#closing;
  }
}
