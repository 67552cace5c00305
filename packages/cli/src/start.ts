import { Redis } from 'ioredis';
import { fixedPorts, loadBridgeConfig, portInUseError, VoicebridgeError } from '@voicebridge/protocol';
import { busyPorts } from './port-probe.ts';
import { formatLogLine } from './supervisor/log-format.ts';
import { SERVICE_NAMES, Supervisor, type ServiceName } from './supervisor/supervisor.ts';

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
  } catch (error) {
    process.stderr.write(
      `voicebridge: cannot reach Redis at REDIS_URL ${config.REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')}: ${(cause ?? (error as Error)).message}\n`,
    );
    return 1;
  } finally {
    probe.disconnect();
  }

  const busy = await busyPorts(fixedPorts(config, services));
  if (busy.length > 0) {
    for (const port of busy) process.stderr.write(`voicebridge: ${portInUseError(port).message}\n`);
    return 2;
  }

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
  let signals = 0;
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (): void => {
      signals++;
      if (signals > 1) {
        supervisor.kill();
        resolve(1);
        return;
      }
      out(
        jsonLogs
          ? JSON.stringify({ level: 30, time: Date.now(), service: 'supervisor', msg: 'stopping' })
          : 'supervisor stopping: draining calls (Ctrl-C again to force)',
      );
      supervisor.stop(config.DRAIN_TIMEOUT_MS + 5000).then(
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
    await supervisor.stop(2000);
    return 2;
  }
  out(
    jsonLogs
      ? JSON.stringify({
          level: 30,
          time: Date.now(),
          service: 'supervisor',
          msg: 'voicebridge ready',
          sip: `${config.SIP_BIND_ADDRESS}:${config.SIP_PORT}`,
        })
      : `supervisor voicebridge ready: SIP on udp ${config.SIP_BIND_ADDRESS}:${config.SIP_PORT}; try sip:+15550100@${config.SIP_ADVERTISED_ADDRESS ?? config.SIP_BIND_ADDRESS}:${config.SIP_PORT}`,
  );
  return stopped;
}
