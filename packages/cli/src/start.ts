import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { fixedPorts, loadBridgeConfig, nodeIdOf, portInUseError, VoicebridgeError } from '@voicebridge/protocol';
import { NodeLease, nodeIdHeldError, RedisKeys } from '@voicebridge/store';
import type { NodeHttp } from './node-http.ts';
import { busyPorts, clashingPorts } from './port-probe.ts';
import { formatLogLine } from './supervisor/log-format.ts';
import { SERVICE_NAMES, type ServiceName } from './supervisor/service-instances.ts';

const USAGE = `usage: voicebridge start [--services media,agent,signaling] [--json-logs]

Starts the bridge: the media workers (MEDIA_WORKERS, media-1, media-2, ...), the agent worker pool
and the SIP signaling service, each in its own process, supervised (restarted on crash) with their
logs merged; \`media\` in --services means every media worker. Configuration comes from the
environment (docs/configuration.md). Ctrl-C drains calls and stops; a second Ctrl-C forces exit.`;

/** `voicebridge start`. Resolves with the exit code once the bridge has stopped. */
export async function runStart(argv: string[]): Promise<number> {
  let services: ServiceName[] = [...SERVICE_NAMES];
  let jsonLogs = !process.stdout.isTTY;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (arg === '--json-logs') jsonLogs = true;
    else if (arg === '--services') {
      const list = (argv[++i] ?? '').split(',').filter((s) => s !== '');
      const bad = list.find((s) => !(SERVICE_NAMES as readonly string[]).includes(s));
      if (list.length === 0 || bad !== undefined) {
        process.stderr.write(
          `voicebridge: invalid --services "${argv[i] ?? ''}": use a comma-separated list of ${SERVICE_NAMES.join(', ')}\n`,
        );
        return 2;
      }
      services = list as ServiceName[];
    } else {
      process.stderr.write(`voicebridge: unknown option "${arg}" for start\n${USAGE}\n`);
      return 2;
    }
  }
  let config;
  try {
    config = loadBridgeConfig(process.env);
  } catch (error) {
    process.stderr.write(`voicebridge: ${error instanceof VoicebridgeError ? error.message : String(error)}\n`);
    return 2;
  }
  const probe = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  // ioredis gives the cause of a failed connection only to 'error' listeners (without one it prints a
  // stack); the command itself rejects with "Connection is closed.". Keep the cause for the one line.
  let cause: Error | undefined;
  probe.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
    // BullMQ keys must never be evicted: a lost job is a lost call (infra/redis/redis.conf).
    const policy = await probe.call('CONFIG', 'GET', 'maxmemory-policy').then(
      (reply) => (Array.isArray(reply) ? String(reply[1] ?? '') : ''),
      () => '', // CONFIG is often disabled on managed Redis: nothing to check then
    );
    if (policy !== '' && policy !== 'noeviction') {
      process.stderr.write(
        `voicebridge: Redis at REDIS_URL has maxmemory-policy ${policy}; set it to noeviction (BullMQ jobs must not be evicted)\n`,
      );
      return 1;
    }
    if (services.includes('signaling')) {
      // Before the ports and before any process: a second start of a running node stops here having
      // touched nothing (its ports may differ, its node id and prefix are what would collide).
      const nodeId = nodeIdOf(config);
      const holder = await NodeLease.holder(probe, new RedisKeys(config.REDIS_KEY_PREFIX), nodeId);
      if (holder !== undefined && !NodeLease.isStale(holder, hostname(), process.pid)) {
        if (holder.host === hostname()) {
          process.stderr.write(`voicebridge: ${nodeIdHeldError(holder, nodeId, config.REDIS_KEY_PREFIX).message}\n`);
          return 2;
        }
        process.stderr.write(
          `voicebridge: node id ${nodeId} is held by pid ${holder.pid} on host ${holder.host}: signaling waits up to NODE_LEASE_TTL_MS (${config.NODE_LEASE_TTL_MS} ms) for that lease to expire\n`,
        );
      }
    }
  } catch (error) {
    process.stderr.write(
      `voicebridge: cannot reach Redis at REDIS_URL ${config.REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')}: ${(cause ?? (error as Error)).message}\n`,
    );
    return 1;
  } finally {
    probe.disconnect();
  }

  const ports = fixedPorts(config, [...services, 'http']);
  const clashes = clashingPorts(ports);
  if (clashes.length > 0) {
    for (const [a, b] of clashes) {
      process.stderr.write(
        `voicebridge: ${a.what} (${a.variable}) and ${b.what} (${b.variable}) would both use ${a.protocol.toUpperCase()} port ${a.port}: give them different ports\n`,
      );
    }
    return 2;
  }
  const busy = await busyPorts(ports);
  if (busy.length > 0) {
    for (const port of busy) process.stderr.write(`voicebridge: ${portInUseError(port).message}\n`);
    return 2;
  }

  // Loaded only once the checks above passed: the HTTP server's modules are most of start's load
  // time, and a refused start (node id held, port busy) should say so at once.
  const [{ startNodeHttp }, { Supervisor }, { createProcessRegistry }] = await Promise.all([
    import('./node-http.ts'),
    import('./supervisor/supervisor.ts'),
    import('@voicebridge/metrics'),
  ]);
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const supervisor = new Supervisor({
    services,
    agentProcesses: config.AGENT_PROCESSES,
    mediaWorkers: config.MEDIA_WORKERS,
    env: process.env,
    onLine: (service, line) => out(jsonLogs ? line : formatLogLine(service, line)),
    onEvent: (service, message) =>
      out(
        jsonLogs
          ? JSON.stringify({ level: 40, time: Date.now(), service: 'supervisor', msg: `${service} ${message}` })
          : `supervisor ${service} ${message}`,
      ),
  });
  // Borrowed by the HTTP server's readiness checks: fail fast while Redis is away (no offline queue).
  const redis = new Redis(config.REDIS_URL, {
    connectionName: 'vb-supervisor',
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {
    // Readiness reports Redis as failing; the services log their own connection errors.
  });
  let http: NodeHttp;
  try {
    http = await startNodeHttp({
      config,
      processes: supervisor.processes,
      redis,
      metrics: createProcessRegistry(),
      onError: (error, route) =>
        out(
          JSON.stringify({
            level: 50,
            time: Date.now(),
            service: 'http',
            route,
            err: String(error),
            msg: 'route failed',
          }),
        ),
      audit: (entry) =>
        out(JSON.stringify({ level: 30, time: Date.now(), service: 'http', audit: entry, msg: 'config changed' })),
    });
  } catch (error) {
    redis.disconnect();
    process.stderr.write(`voicebridge: ${(error as Error).message}\n`);
    return 2;
  }
  const stopAll = async (graceMs: number): Promise<void> => {
    // Not ready first, so a load balancer stops sending calls while they drain.
    await http.drain();
    await supervisor.stop(graceMs);
    await http.close();
    await redis.quit().catch(() => redis.disconnect());
  };
  let signals = 0;
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (): void => {
      signals++;
      if (signals > 1) {
        supervisor.kill();
        // Forced: the HTTP server and its Redis connection would keep the event loop alive.
        redis.disconnect();
        void http.close();
        resolve(1);
        return;
      }
      out(
        jsonLogs
          ? JSON.stringify({ level: 30, time: Date.now(), service: 'supervisor', msg: 'stopping' })
          : 'supervisor stopping: draining calls (Ctrl-C again to force)',
      );
      stopAll(config.DRAIN_TIMEOUT_MS + 5000).then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await supervisor.start();
  } catch (error) {
    process.stderr.write(`voicebridge: ${(error as Error).message}\n`);
    await stopAll(2000);
    return 2;
  }
  // Every process has just reported ready: a probe right after the line below must not see the last
  // round's "not running" (checks otherwise run once a second).
  await http.checkReadiness();
  out(
    jsonLogs
      ? JSON.stringify({
          level: 30,
          time: Date.now(),
          service: 'supervisor',
          msg: 'voicebridge ready',
          sip: `${config.SIP_BIND_ADDRESS}:${config.SIP_PORT}`,
          http: `${config.HTTP_BIND_ADDRESS}:${http.port}`,
        })
      : `supervisor voicebridge ready: SIP on udp ${config.SIP_BIND_ADDRESS}:${config.SIP_PORT}, HTTP on ${config.HTTP_BIND_ADDRESS}:${http.port} (/healthz, /readyz); try sip:+15550100@${config.SIP_ADVERTISED_ADDRESS ?? config.SIP_BIND_ADDRESS}:${config.SIP_PORT}`,
  );
  return stopped;
}
