import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, freePortBlock, freeRtpPortRange } from '../../test/support/free-port.ts';
import { schedule } from '../../test/support/wait-for.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningBridge {
  sipPort: number;
  /** The first media worker's control port; worker i listens on this + i. */
  controlPort: number;
  /** The node's HTTP server (health, readiness). */
  httpPort: number;
  rtpRange: { min: number; max: number };
  prefix: string;
  /** A Redis connection for the test to read records and numbers (closed by stop()). */
  redis: Redis;
  /** Every log line the bridge printed so far (JSON, one per line). */
  logs: string[];
  child: ChildProcess;
  /** Runs the voicebridge CLI against this bridge's Redis prefix (with the bridge's environment, plus `env`). */
  cli(args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  /** SIGTERM, wait for exit, delete every key under the prefix. Idempotent. */
  stop(): Promise<void>;
}

export interface BridgeOptions {
  env?: Record<string, string>;
  /** How many RTP ports the bridge gets (pairs = count / 2). */
  rtpPorts?: number;
  readyTimeoutMs?: number;
  /** `voicebridge start --services`: e.g. without `agent`, calls ring until ANSWER_TIMEOUT_MS. Default all. */
  services?: ('media' | 'agent' | 'signaling')[];
}

/**
 * Starts the real bridge — `voicebridge start`, i.e. the supervisor and its three processes — on free
 * loopback ports with a unique Redis prefix, and waits for it to say it is ready.
 */
export async function startBridge(options: BridgeOptions = {}): Promise<RunningBridge> {
  const sipPort = await freePort('udp', 'tcp'); // SIP listens on UDP and TCP
  const rtp = await freeRtpPortRange(options.rtpPorts ?? 40);
  const rtpRange = { min: rtp.minPort, max: rtp.maxPort };
  // One media worker unless the test asks for more (the product default, `auto`, is one per core):
  // the suites count one media process's ready lines and kill "the" media process.
  const mediaWorkers = Number(options.env?.['MEDIA_WORKERS'] ?? '1');
  const controlPort = await freePortBlock(mediaWorkers, 'tcp');
  const httpPort = await freePort('tcp');
  const prefix = `vbtest:${randomBytes(5).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIP_BIND_ADDRESS: '127.0.0.1',
    SIP_PORT: String(sipPort),
    RTP_BIND_ADDRESS: '127.0.0.1',
    RTP_PORT_MIN: String(rtpRange.min),
    RTP_PORT_MAX: String(rtpRange.max),
    MEDIA_CONTROL_PORT: String(controlPort),
    HTTP_PORT: String(httpPort),
    MEDIA_WORKERS: String(mediaWorkers),
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'debug',
    LOG_REDACT: 'false',
    RTP_QUARANTINE_MS: '1000',
    DRAIN_TIMEOUT_MS: '2000',
    ...options.env,
  };
  const services = options.services ? ['--services', options.services.join(',')] : [];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/main.ts', 'start', '--json-logs', ...services],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 2 });
  const ready = new Promise<void>((resolve, reject) => {
    const cancel = schedule(options.readyTimeoutMs ?? 60_000, () =>
      reject(new Error(`bridge not ready in time; last logs:\n${logs.slice(-20).join('\n')}`)),
    );
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        if (line.includes('"voicebridge ready"')) {
          cancel();
          resolve();
        }
      });
    }
    child.once('exit', (code) => {
      cancel();
      reject(new Error(`bridge exited with ${code} before ready:\n${logs.slice(-20).join('\n')}`));
    });
  });
  let stopped: Promise<void> | undefined;
  const bridge: RunningBridge = {
    sipPort,
    controlPort,
    httpPort,
    rtpRange,
    prefix,
    redis,
    logs,
    child,
    cli: (args, extra) => runCli(args, { ...env, ...extra }),
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          const cancelForce = schedule(15_000, () => child.kill('SIGKILL'));
          await exited;
          cancelForce();
        }
        await deleteKeys(redis, `${prefix}:*`);
        redis.disconnect();
      })()),
  };
  try {
    await ready;
  } catch (error) {
    await bridge.stop();
    throw error;
  }
  return bridge;
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  for (let i = 0; i < 10_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') return;
  }
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
      cwd: REPO_ROOT,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
