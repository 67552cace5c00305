import { CallEventMetrics, CallEventPublisher, CallEventWorker } from '@voicebridge/events';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { parseCidrList, SecretEnvAllowList } from '@voicebridge/protocol';
import { connectRedis, runService } from '@voicebridge/runtime';
import { CallEventDeadLetters, RedisKeys } from '@voicebridge/store';
import { AgentMetrics } from './agent-metrics.ts';
import { AgentService } from './agent-service.ts';
import { createLanguageModelFactory } from './agents/language-model-factory.ts';
import { createOfflineEngines } from './engines.ts';
import { createCloudEngineFactory } from './engines/cloud-engines.ts';
import { FallbackSlots } from './engines/fallback-slots.ts';

await runService('agent', async (config, log, registry) => {
  const redis = connectRedis(config.REDIS_URL, 'vb-agent', registry);
  const subscriber = connectRedis(config.REDIS_URL, 'vb-agent-sub', registry);
  const workerRedis = connectRedis(config.REDIS_URL, 'vb-agent-worker', registry);
  const engines = createOfflineEngines({ poolSize: config.STT_POOL_SIZE, log });
  // Every request to a URL a number gives (models, webhook tools, engines) goes through the outbound URL policy.
  const policy = new OutboundPolicy({ denyCidrs: parseCidrList(config.OUTBOUND_DENY_CIDRS) });
  const outbound = new OutboundHttp({ policy });
  // API keys and bot tokens are looked up here, by the variable name a number's config gives, if
  // AGENT_SECRET_ENV lists it; never stored.
  const secrets = { env: process.env, secretEnv: SecretEnvAllowList.parse(config.AGENT_SECRET_ENV) };
  const models = createLanguageModelFactory({ ...secrets, outbound, log });
  // Cloud speech engines fall back to the offline ones, at most ENGINE_FALLBACK_MAX calls at once.
  const cloud = {
    factory: createCloudEngineFactory({ ...secrets, policy, outbound }),
    slots: new FallbackSlots(config.ENGINE_FALLBACK_MAX),
  };
  const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
  // The calls' turns are published here, where they are timed (signaling publishes the rest).
  const publisher = new CallEventPublisher({
    redis,
    keys,
    bullPrefix: `${config.REDIS_KEY_PREFIX}:bull`,
    ttlSeconds: config.CALL_RECORD_TTL_S,
    attempts: config.EVENTS_MAX_ATTEMPTS,
    backoffMs: config.EVENTS_BACKOFF_MS,
    log,
  });
  // Read at scrape time only, once the service below exists.
  const metrics: AgentMetrics = new AgentMetrics(registry, { activeCalls: (): number => service.activeCalls });
  const service: AgentService = new AgentService({
    config,
    log,
    redis,
    subscriber,
    workerRedis,
    engines,
    models,
    outbound,
    secrets,
    metrics,
    cloud,
    events: publisher,
  });
  // Call events are delivered here (ADR 0022): this process already holds the secret allow-list,
  // the outbound URL policy and the user's keys; its own queue, so a slow receiver holds no call.
  const eventsRedis = connectRedis(config.REDIS_URL, 'vb-agent-events', registry);
  const events = new CallEventWorker({
    connection: eventsRedis,
    bullPrefix: `${config.REDIS_KEY_PREFIX}:bull`,
    concurrency: config.EVENTS_CONCURRENCY,
    outbound,
    secrets,
    deadLetters: new CallEventDeadLetters(redis, keys, {
      ttlSeconds: config.CALL_RECORD_TTL_S,
    }),
    metrics: new CallEventMetrics(registry),
    log,
  });
  await service.start();
  await events.start();
  return {
    detail: { concurrency: config.AGENT_CONCURRENCY },
    service: {
      close: async () => {
        await service.close();
        await publisher.close();
        await events.close();
        await engines.close();
        outbound.close();
        await Promise.allSettled([redis.quit(), subscriber.quit(), workerRedis.quit(), eventsRedis.quit()]);
      },
    },
  };
});
