import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import type { AllocateParams } from '@voicebridge/protocol';
import { MediaClock } from '@voicebridge/rtp';
import { MediaWorker, PortPool } from '../src/index.ts';
import { freeRtpPortRange } from '../../../test/support/free-port.ts';

/** A MediaWorker on loopback whose audio channel runs on real Redis, made fresh for every test. */
export interface MediaWorkerRig {
  readonly worker: MediaWorker;
  readonly pool: PortPool;
  /** The agents' end of the worker's audio channel. */
  readonly agentSide: RedisAudioChannel;
  /** The audio channel's key prefix, for more workers or channels on it. */
  readonly prefix: string;
  /** The worker's recordings directory (option `recordings`): a fresh temporary one, removed after the test. */
  readonly recordingsDir: string;
  /** Runs `steps` after the test, in reverse order, after those registered later. */
  cleanup(...steps: Array<() => unknown>): void;
}

export interface MediaWorkerRigOptions {
  /** How many RTP ports the worker's pool has. */
  ports: number;
  quarantineMs: number;
  advertisedAddress: string;
  /** Give the worker a recordings directory of its own (`recordingsDir`). */
  recordings?: boolean;
}

/**
 * Registers, in the calling describe block, a beforeEach that builds the worker and an afterEach
 * that runs every cleanup step, the last registered first.
 */
export function useMediaWorker(options: MediaWorkerRigOptions): MediaWorkerRig {
  const steps: Array<() => unknown> = [];
  let rig: (Omit<MediaWorkerRig, 'cleanup' | 'recordingsDir'> & { recordingsDir: string | undefined }) | undefined;
  beforeEach(async () => {
    const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
    const recordingsDir = options.recordings ? await mkdtemp(join(tmpdir(), 'vb-rec-')) : undefined;
    if (recordingsDir !== undefined) steps.push(() => rm(recordingsDir, { recursive: true, force: true }));
    const conns = [new Redis(), new Redis(), new Redis(), new Redis()];
    steps.push(() => conns.forEach((c) => c.disconnect()));
    const channel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: prefix });
    const agentSide = new RedisAudioChannel({ publisher: conns[2]!, subscriber: conns[3]!, keyPrefix: prefix });
    const clock = new MediaClock();
    const pool = new PortPool({
      bindAddress: '127.0.0.1',
      ...(await freeRtpPortRange(options.ports)),
      quarantineMs: options.quarantineMs,
    });
    const worker = new MediaWorker({
      pool,
      clock,
      channel,
      advertisedAddress: options.advertisedAddress,
      log: pino({ level: 'silent' }),
      onEvent: () => undefined,
      recordingsDir,
    });
    steps.push(
      () => worker.close(),
      () => clock.close(),
      () => pool.close(),
      () => channel.close(),
      () => agentSide.close(),
    );
    rig = { worker, pool, agentSide, prefix, recordingsDir };
  });
  afterEach(async () => {
    rig = undefined;
    for (const step of steps.splice(0).reverse()) await step();
  });
  const built = (): NonNullable<typeof rig> => {
    if (rig === undefined) throw new Error('the media worker is built in beforeEach');
    return rig;
  };
  return {
    get worker() {
      return built().worker;
    },
    get pool() {
      return built().pool;
    },
    get agentSide() {
      return built().agentSide;
    },
    get prefix() {
      return built().prefix;
    },
    get recordingsDir() {
      const dir = built().recordingsDir;
      if (dir === undefined) throw new Error('the rig was made without `recordings`');
      return dir;
    },
    cleanup: (...more) => void steps.push(...more),
  };
}

/** A PCMU call with RFC 4733 on payload type 101, 20 ms packets, to a caller on loopback. */
export function pcmuCallParams(callId: string, callerPort: number): AllocateParams {
  return {
    callId,
    remoteRtp: { address: '127.0.0.1', port: callerPort },
    codec: { name: 'PCMU', payloadType: 0 },
    telephoneEventPayloadType: 101,
    ptimeMs: 20,
    direction: 'sendrecv',
  };
}
