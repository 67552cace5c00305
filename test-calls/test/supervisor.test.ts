import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { toneWav } from '../src/audio-fixtures.ts';
import { baresipCall } from '../src/baresip.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    for (let i = 0; i < 100 && !all(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const pids = ['signaling', 'media', 'agent'].map((s) => readyPids(bridge, s)[0]);
    expect(pids.every((p) => typeof p === 'number')).to.equal(true);
    expect(new Set(pids).size).to.equal(3);
    expect(pids).to.not.include(bridge.child.pid);
  });

  it('restarts a crashed media process, and calls work again afterwards', async () => {
    const [first] = readyPids(bridge, 'media');
    process.kill(first as number, 'SIGKILL');
    for (let i = 0; i < 200 && readyPids(bridge, 'media').length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const pids = readyPids(bridge, 'media');
    expect(pids).to.have.length(2);
    expect(pids[1]).to.not.equal(first);
    expect(bridge.logs.some((l) => l.includes('media exited') && l.includes('restarting'))).to.equal(true);
    // signaling reconnects to the new media worker; an echo call is answered and echoes again.
    const reconnected = (): boolean => bridge.logs.filter((l) => l.includes('"media worker connected"')).length >= 2;
    for (let i = 0; i < 200 && !reconnected(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(reconnected(), 'signaling reconnected to the new media worker').to.equal(true);
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
