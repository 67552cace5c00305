import { answerNodeCommands, connectRedis, runService } from '@voicebridge/runtime';
import { RedisKeys } from '@voicebridge/store';
import { DialWorker } from './dialer/dial-worker.ts';
import { SignalingService } from './signaling-service.ts';

/** Dials one signaling process rings at once; the trunks' channel and CPS limits are the real bound. */
const DIAL_CONCURRENCY = 100;

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
  // The supervisor's HTTP server asks here first: an operator's hang-up then needs no Redis.
  const stopAnswering = answerNodeCommands(process, (command) => service.runLocalCommand(command));
  const dialRedis = connectRedis(config.REDIS_URL, 'vb-signaling-dial', metrics);
  const dials = new DialWorker({
    workerRedis: dialRedis,
    redis,
    keys: new RedisKeys(config.REDIS_KEY_PREFIX),
    dialler: {
      dial: (request, hooks) => service.dial(request, hooks),
      callsOnTrunk: (trunk) => service.calls.callsOnTrunk(trunk),
      isLive: (callId) => service.calls.numberConfigOf(callId) !== undefined,
    },
    log: log.child({ component: 'dial-worker' }),
    concurrency: DIAL_CONCURRENCY,
  });
  await dials.start();
  return {
    detail: { sip: `${service.address.address}:${service.address.port}`, nodeId: service.nodeId },
    service: {
      close: async () => {
        // Ringing dials are cancelled first (close() aborts them at once), and the worker takes no new job; its
        // wait for Redis runs alongside the drain, which must BYE the live calls on time even while Redis is down.
        const dialsClosed = dials.close();
        await Promise.allSettled([dialsClosed, service.close()]);
        // Answered through the drain: an operator may end a call sooner than its deadline.
        stopAnswering();
        await Promise.allSettled([redis.quit(), eventsRedis.quit(), dialRedis.quit()]);
      },
    },
  };
});
