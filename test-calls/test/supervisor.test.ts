import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { toneWav } from '../src/audio-fixtures.ts';
import { baresipCall } from '../src/baresip.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/support/wait-for.ts';

interface LogLine {
  service?: string;
  msg?: string;
  pid?: number;
}

function readyPids(bridge: RunningBridge, service: string): number[] {
  return bridge.logs
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return {} as LogLine;
      }
    })
    .filter((l) => l.service === service && l.msg === `${service} ready` && typeof l.pid === 'number')
    .map((l) => l.pid as number);
}

describe('voicebridge start (the supervisor)', function () {
  this.timeout(90_000);
  let bridge: RunningBridge;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-supervisor-'));
    bridge = await startBridge();
  });

  after(async () => {
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs signaling, media and agent as separate processes and merges their logs', async () => {
    // Log lines and the IPC ready message travel on different pipes: allow the lines a moment.
    const all = (): boolean => ['signaling', 'media', 'agent'].every((s) => readyPids(bridge, s).length > 0);
    await waitFor('every service ready in the logs', 5000, all);
    const pids = ['signaling', 'media', 'agent'].map((s) => readyPids(bridge, s)[0]);
    expect(pids.every((p) => typeof p === 'number')).to.equal(true);
    expect(new Set(pids).size).to.equal(3);
    expect(pids).to.not.include(bridge.child.pid);
  });

  it('restarts a crashed media process, and calls work again afterwards', async () => {
    const [first] = readyPids(bridge, 'media');
    process.kill(first as number, 'SIGKILL');
    await waitFor('the media process restarted', 10_000, () => readyPids(bridge, 'media').length >= 2);
    const pids = readyPids(bridge, 'media');
    expect(pids).to.have.length(2);
    expect(pids[1]).to.not.equal(first);
    expect(bridge.logs.some((l) => l.includes('media exited') && l.includes('restarting'))).to.equal(true);
    // signaling reconnects to the new media worker; an echo call is answered and echoes again.
    const reconnected = (): boolean => bridge.logs.filter((l) => l.includes('"media worker connected"')).length >= 2;
    await waitFor('signaling reconnected to the new media worker', 10_000, reconnected);
    const mic = join(dir, 'tone.wav');
    await toneWav(mic, 2, 1000, 4);
    const call = await baresipCall({ uri: `sip:+15550199@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 20 });
    try {
      expect(call.stdout).to.match(/Call with .* terminated/);
    } finally {
      await call.cleanup();
    }
  });
});

describe('voicebridge start refuses an unsafe Redis', function () {
  this.timeout(30_000);

  it('exits non-zero naming maxmemory-policy when Redis may evict keys', async () => {
    const { spawn } = await import('node:child_process');
    const { freePort } = await import('../../test/support/free-port.ts');
    const { REPO_ROOT } = await import('../src/bridge-harness.ts');
    const port = await freePort('tcp');
    const redis = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'allkeys-lru',
      ],
      { stdio: 'ignore' },
    );
    try {
      const { Redis } = await import('ioredis');
      await waitFor(
        'the private redis-server to accept connections',
        5000,
        async () => {
          const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
          probe.on('error', () => undefined);
          const up = await probe.connect().then(
            () => true,
            () => false,
          );
          probe.disconnect();
          return up;
        },
        { everyMs: 100 },
      );
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', 'start'], {
          cwd: REPO_ROOT,
          env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${port}` },
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/maxmemory-policy allkeys-lru/);
    } finally {
      redis.kill();
    }
  });
});
