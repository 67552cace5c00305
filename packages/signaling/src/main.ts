import { connectRedis, runService } from '@voicebridge/runtime';
import { SignalingService } from './signaling-service.ts';

await runService('signaling', async (config, log, metrics) => {
  const redis = connectRedis(config.REDIS_URL, 'vb-signaling', metrics);
  const eventsRedis = connectRedis(config.REDIS_URL, 'vb-signaling-events', metrics);
  const service = await SignalingService.start({
    config,
    log,
    redis,
    eventsRedis,
    metrics,
    // Trunks' outbound passwords by the variable each names (checked against AGENT_SECRET_ENV).
    readSecret: (name) => process.env[name],
  });
  return {
    detail: { sip: `${service.address.address}:${service.address.port}`, nodeId: service.nodeId },
    service: {
      close: async () => {
        await service.close();
        await Promise.allSettled([redis.quit(), eventsRedis.quit()]);
      },
    },
  };
});
