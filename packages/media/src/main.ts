import { RedisAudioChannel } from '@voicebridge/channel';
import { advertisedRtpAddress } from '@voicebridge/protocol';
import { MediaClock } from '@voicebridge/rtp';
import { connectRedis, runService } from '@voicebridge/runtime';
import { MediaControlServer } from './control-server.ts';
import { MediaWorker } from './media-worker.ts';
import { PortPool } from './port-pool.ts';

await runService('media', async (config, log) => {
  const publisher = connectRedis(config.REDIS_URL, 'vb-media-pub');
  const subscriber = connectRedis(config.REDIS_URL, 'vb-media-sub');
  const channel = new RedisAudioChannel({
    publisher,
    subscriber,
    keyPrefix: config.REDIS_KEY_PREFIX,
    onError: (error) => log.warn({ err: error }, 'audio channel error'),
  });
  const clock = new MediaClock({ onError: (error: unknown) => log.error({ err: error }, 'media clock subscriber failed') });
  const pool = new PortPool({
    bindAddress: config.RTP_BIND_ADDRESS,
    minPort: config.RTP_PORT_MIN,
    maxPort: config.RTP_PORT_MAX,
    quarantineMs: config.RTP_QUARANTINE_MS,
  });
  const events: { server?: MediaControlServer } = {};
  const worker = new MediaWorker({
    pool,
    clock,
    channel,
    advertisedAddress: advertisedRtpAddress(config),
    log,
    mediaTimeoutMs: config.MEDIA_TIMEOUT_MS,
    recordingsDir: config.RECORDINGS_DIR,
    // Three missed heartbeats make an owner absent (docs/adr/0010).
    agentOwnership: { absentAfterMs: 3 * config.AGENT_HEARTBEAT_MS, lostAfterMs: config.AGENT_LOST_TIMEOUT_MS },
    onEvent: (event) => events.server?.broadcast(event),
  });
  const server = new MediaControlServer({ worker, host: config.MEDIA_CONTROL_HOST, port: config.MEDIA_CONTROL_PORT, log });
  events.server = server;
  const address = await server.listen();
  let closing: Promise<void> | undefined;
  return {
    detail: { control: `${address.address}:${address.port}`, rtp: `${config.RTP_PORT_MIN}-${config.RTP_PORT_MAX}` },
    service: {
      close: () =>
        (closing ??= (async () => {
          worker.close('drain');
          await worker.recordingsSettled();
          await server.close();
          clock.close();
          pool.close();
          await channel.close();
          await Promise.allSettled([publisher.quit(), subscriber.quit()]);
        })()),
    },
  };
});
