import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { addApiRoutes, type AuditLog } from '@voicebridge/api';
import { addDashboardRoutes, addLiveCallsRoute, LiveCallsFeed } from '@voicebridge/dashboard';
import { CallEventRedelivery } from '@voicebridge/events';
import { addHealthRoutes, HttpServer, Readiness, type ReadinessCheck } from '@voicebridge/http';
import {
  CALLS_QUEUE,
  DIAL_QUEUE,
  fixedPorts,
  listenOnFixedPort,
  nodeIdOf,
  SecretEnvAllowList,
  type BridgeConfig,
} from '@voicebridge/protocol';
import { CallEventDeadLetters, CallRecordRepository, RedisKeys } from '@voicebridge/store';
import type { Registry } from '@voicebridge/metrics';
import { addMetricsRoute } from './metrics-route.ts';
import { dialCanceller, dialEnqueuer } from './dial-queue.ts';
import { localNodeCommands } from './local-node-commands.ts';
import type { ServiceProcess } from './supervisor/service-process.ts';

export interface NodeHttpOptions {
  config: BridgeConfig;
  /** The supervisor's processes: readiness asks whether each is up. */
  processes: readonly ServiceProcess[];
  /** A connection the node HTTP server borrows (never closes). */
  redis: Redis;
  /** The supervisor's own metrics registry; /metrics adds every process's, asked over IPC. */
  metrics: Registry;
  onError: (error: unknown, route: string) => void;
  /** One line per configuration change made through the API. */
  audit: AuditLog;
}

export interface NodeHttp {
  readonly port: number;
  /** One round of the readiness checks now (the node just said it is ready: /readyz should agree at once). */
  checkReadiness(): Promise<void>;
  /** The node is shutting down: /readyz answers 503 (draining) from when this resolves. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The node's HTTP server, run by the supervisor (the one process that sees all the others): health
 * and readiness, and API v1 (docs/api.md); later parts add their routes through `HttpServer.add`.
 */
export async function startNodeHttp(options: NodeHttpOptions): Promise<NodeHttp> {
  const { config, redis } = options;
  let draining = false;
  const queue = new Queue(CALLS_QUEUE, { connection: redis, prefix: `${config.REDIS_KEY_PREFIX}:bull` });
  const dialQueue = new Queue(DIAL_QUEUE, { connection: redis, prefix: `${config.REDIS_KEY_PREFIX}:bull` });
  const upCheck = (service: string): ReadinessCheck => ({
    name: service === 'media' ? 'media-workers' : service,
    check: () => {
      const own = options.processes.filter((p) => p.service === service);
      const down = own.filter((p) => !p.ready).map((p) => p.name);
      return Promise.resolve(
        down.length === 0 ? { ok: true } : { ok: false, detail: `not running: ${down.join(', ')}` },
      );
    },
  });
  const services = new Set(options.processes.map((p) => p.service));
  const checks: ReadinessCheck[] = [
    {
      name: 'draining',
      failAfterMs: 0,
      check: () => Promise.resolve(draining ? { ok: false, detail: 'shutting down' } : { ok: true }),
    },
    {
      name: 'redis',
      check: async () => ((await redis.ping()) === 'PONG' ? { ok: true } : { ok: false, detail: 'no PONG' }),
    },
    // Agents may run in this node or on other hosts: what counts is a worker on the calls queue.
    {
      name: 'agents',
      check: async () => {
        const workers = await queue.getWorkersCount();
        return workers > 0 ? { ok: true } : { ok: false, detail: 'no agent worker on the calls queue' };
      },
    },
    ...[...services].filter((s) => s !== 'agent').map(upCheck),
  ];
  const readiness = new Readiness({ checks, failAfterMs: config.HTTP_READY_FAIL_AFTER_MS });
  const server = new HttpServer({
    host: config.HTTP_BIND_ADDRESS,
    port: config.HTTP_PORT,
    adminToken: config.ADMIN_TOKEN,
    readToken: config.READ_TOKEN,
    onError: options.onError,
  });
  addHealthRoutes(server, readiness);
  const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
  const records = new CallRecordRepository(redis, keys);
  const redelivery = new CallEventRedelivery({
    redis,
    bullPrefix: `${config.REDIS_KEY_PREFIX}:bull`,
    deadLetters: new CallEventDeadLetters(redis, keys, { ttlSeconds: config.CALL_RECORD_TTL_S }),
    attempts: config.EVENTS_MAX_ATTEMPTS,
    backoffMs: config.EVENTS_BACKOFF_MS,
  });
  addApiRoutes(server, {
    redis,
    keys,
    records,
    outbound: { secretEnv: SecretEnvAllowList.parse(config.AGENT_SECRET_ENV), denyCidrs: config.OUTBOUND_DENY_CIDRS },
    audit: options.audit,
    onCorrupt: (error) => options.onError(error, 'GET /api/v1/calls'),
    enqueueDial: dialEnqueuer(dialQueue),
    cancelQueuedDial: dialCanceller(dialQueue),
    redeliverEvents: (callId, number) => redelivery.redeliver(callId, number),
    localCommands: { nodeId: nodeIdOf(config), run: localNodeCommands(options.processes) },
    ...(config.TWILIO_COMPAT_ACCOUNT_SID !== undefined &&
      config.TWILIO_COMPAT_AUTH_TOKEN !== undefined && {
        twilioCompat: { accountSid: config.TWILIO_COMPAT_ACCOUNT_SID, authToken: config.TWILIO_COMPAT_AUTH_TOKEN },
      }),
  });
  addMetricsRoute(server, { config, registry: options.metrics, queue, processes: options.processes });
  const live = new LiveCallsFeed({ records, onError: (error) => options.onError(error, 'GET /api/v1/live') });
  addLiveCallsRoute(server, live);
  addDashboardRoutes(server);
  try {
    await readiness.start();
    const [port] = fixedPorts(config, ['http']);
    const address = await listenOnFixedPort(server.listen(), port);
    let closing: Promise<void> | undefined;
    return {
      port: address.port,
      checkReadiness: () => readiness.runOnce(),
      drain: async () => {
        draining = true;
        // Now, not at the next round of checks: a load balancer must stop sending calls at once.
        await readiness.runOnce();
      },
      close: () =>
        (closing ??= (async () => {
          // Open event streams would hold the server's close until their clients left.
          live.close();
          await server.close();
          readiness.close();
          await queue.close();
          await dialQueue.close();
          await redelivery.close();
        })()),
    };
  } catch (error) {
    readiness.close();
    live.close();
    await Promise.allSettled([server.close(), queue.close(), dialQueue.close(), redelivery.close()]);
    throw error;
  }
}
