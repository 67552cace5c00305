import { connectRedis, runService } from '@voicebridge/runtime';
import { AgentService } from './agent-service.ts';
import { createLanguageModelFactory } from './agents/language-model-factory.ts';
import { createOfflineEngines } from './engines.ts';

await runService('agent', async (config, log) => {
  const redis = connectRedis(config.REDIS_URL, 'vb-agent');
  const subscriber = connectRedis(config.REDIS_URL, 'vb-agent-sub');
  const workerRedis = connectRedis(config.REDIS_URL, 'vb-agent-worker');
  const engines = createOfflineEngines({ poolSize: config.STT_POOL_SIZE, log });
  // API keys are looked up here, by the variable name a number's llm config gives, never stored.
  const models = createLanguageModelFactory({ env: process.env, log });
  const service = new AgentService({ config, log, redis, subscriber, workerRedis, engines, models });
  await service.start();
  return {
    detail: { concurrency: config.AGENT_CONCURRENCY },
    service: {
      close: async () => {
        await service.close();
        await engines.close();
        await Promise.allSettled([redis.quit(), subscriber.quit(), workerRedis.quit()]);
      },
    },
  };
});
