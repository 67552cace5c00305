import { RedisAudioChannel } from '@voicebridge/channel';
import {
  nodeIdOf,
  advertisedRtpAddress,
  fixedPorts,
  listenOnFixedPort,
  mediaWorkerSlice,
  type BridgeConfig,
} from '@voicebridge/protocol';
import { MediaClock } from '@voicebridge/rtp';
import { closeSteps, connectRedis, runService } from '@voicebridge/runtime';
import { MediaControlServer } from './control-server.ts';
import { MediaMetrics } from './media-metrics.ts';
import { MediaWorker } from './media-worker.ts';
import { PortPool } from './port-pool.ts';

/**
 * This process's control port and RTP range: its slice of the bridge's when it is one of several
 * (MEDIA_WORKER_INDEX, set by the supervisor), else the whole range (a lone worker run by hand).
 */
function ownShare(config: BridgeConfig): { controlPort: number; rtpPortMin: number; rtpPortMax: number } {
  if (config.MEDIA_WORKER_INDEX === undefined)
    return { controlPort: config.MEDIA_CONTROL_PORT, rtpPortMin: config.RTP_PORT_MIN, rtpPortMax: config.RTP_PORT_MAX };
  return mediaWorkerSlice(config, config.MEDIA_WORKER_INDEX);
}

/** `media` when it is the only one, `media-1`, `media-2`, … among several (as the supervisor names them). */
function instanceName(config: BridgeConfig): string {
  return config.MEDIA_WORKER_INDEX === undefined || config.MEDIA_WORKERS === 1
    ? 'media'
    : `media-${config.MEDIA_WORKER_INDEX + 1}`;
}

await runService(
  'media',
  async (config, log, registry) => {
    const share = ownShare(config);
    const publisher = connectRedis(config.REDIS_URL, 'vb-media-pub', registry);
    const subscriber = connectRedis(config.REDIS_URL, 'vb-media-sub', registry);
    const channel = new RedisAudioChannel({
      publisher,
      subscriber,
      keyPrefix: config.REDIS_KEY_PREFIX,
      onError: (error) => log.warn({ err: error }, 'audio channel error'),
    });
    const clock = new MediaClock({
      onError: (error: unknown) => log.error({ err: error }, 'media clock subscriber failed'),
    });
    const pool = new PortPool({
      bindAddress: config.RTP_BIND_ADDRESS,
      minPort: share.rtpPortMin,
      maxPort: share.rtpPortMax,
      quarantineMs: config.RTP_QUARANTINE_MS,
    });
    const events: { server?: MediaControlServer; metrics?: MediaMetrics } = {};
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
      onSessionClosed: (session) => events.metrics?.sessionClosed(session),
    });
    const metrics = new MediaMetrics({ registry, sessions: () => worker.sessions(), clock });
    events.metrics = metrics;
    const server = new MediaControlServer({
      worker,
      host: config.MEDIA_CONTROL_HOST,
      port: share.controlPort,
      log,
      nodeId: nodeIdOf(config),
    });
    events.server = server;
    const controlPort = fixedPorts(config, ['media'])[config.MEDIA_WORKER_INDEX ?? 0];
    const address = await listenOnFixedPort(server.listen(), controlPort);
    let closing: Promise<void> | undefined;
    return {
      detail: { control: `${address.address}:${address.port}`, rtp: `${share.rtpPortMin}-${share.rtpPortMax}` },
      service: {
        close: () =>
          (closing ??= closeSteps(log, [
            ['worker', () => worker.close('drain')],
            ['recordings', () => worker.recordingsSettled()],
            ['control server', () => server.close()],
            ['metrics', () => metrics.close()],
            ['clock', () => clock.close()],
            ['port pool', () => pool.close()],
            ['audio channel', () => channel.close()],
            ['redis', () => Promise.allSettled([publisher.quit(), subscriber.quit()])],
          ])),
      },
    };
  },
  instanceName,
);
