import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import { MediaControlServer, MediaWorker, PortPool } from '@voicebridge/media';
import {
  splitRtpRange,
  VoicebridgeError,
  type AllocateParams,
  type MediaEvent,
  type MediaWorkerSlice,
} from '@voicebridge/protocol';
import { MediaClock } from '@voicebridge/rtp';
import { freeRtpPortRange } from '../../../../test/support/free-port.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';
import { pcmuCallParams } from '../../../media/test/media-worker-rig.ts';
import { MediaPool } from '../../src/index.ts';

const log = pino({ level: 'silent' });

/** One real media worker: port pool over its slice, clock, Redis audio channel, control server. */
class TestWorker {
  readonly worker: MediaWorker;
  readonly server: MediaControlServer;
  readonly slice: MediaWorkerSlice;
  port = 0;
  readonly #cleanup: (() => unknown)[] = [];
  #closed = false;

  private constructor(slice: MediaWorkerSlice, prefix: string, port: number) {
    this.slice = slice;
    const conns = [new Redis(), new Redis()];
    const channel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: prefix });
    const clock = new MediaClock();
    const pool = new PortPool({
      bindAddress: '127.0.0.1',
      minPort: slice.rtpPortMin,
      maxPort: slice.rtpPortMax,
      quarantineMs: 5000,
    });
    const events: { server?: MediaControlServer } = {};
    this.worker = new MediaWorker({
      pool,
      clock,
      channel,
      advertisedAddress: '127.0.0.1',
      log,
      onEvent: (e) => events.server?.broadcast(e),
    });
    this.server = new MediaControlServer({ worker: this.worker, host: '127.0.0.1', port, log });
    events.server = this.server;
    this.#cleanup.push(
      () => this.worker.close('media-lost'),
      () => this.server.close(),
      () => clock.close(),
      () => pool.close(),
      () => channel.close(),
      () => conns.forEach((c) => c.disconnect()),
    );
  }

  static async start(slice: MediaWorkerSlice, prefix: string, port = 0): Promise<TestWorker> {
    const w = new TestWorker(slice, prefix, port);
    w.port = (await w.server.listen()).port;
    return w;
  }

  /** The process dies: its calls and its control connection go at once. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const fn of this.#cleanup) await fn();
  }
}

describe('MediaPool (real media workers over TCP, real Redis)', function () {
  this.timeout(15_000);
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const cleanup: (() => unknown)[] = [];
  let workers: TestWorker[];
  let pool: MediaPool;
  let lost: string[][];
  let events: MediaEvent[];
  let caller: Socket;

  async function startWorkers(count: number, pairsEach = 4): Promise<void> {
    const rtp = await freeRtpPortRange(2 * pairsEach * count);
    const slices = splitRtpRange(rtp.minPort, rtp.maxPort, count, 0) as MediaWorkerSlice[];
    workers = await Promise.all(slices.map((slice) => TestWorker.start(slice, prefix)));
    cleanup.push(...workers.map((w) => () => w.close()));
    lost = [];
    events = [];
    pool = new MediaPool({
      endpoints: workers.map((w) => ({ host: '127.0.0.1', port: w.port })),
      log,
      onEvent: (e) => events.push(e),
      onLost: (callIds) => lost.push(callIds),
      client: { reconnectDelayMs: 50, requestTimeoutMs: 1000 },
    });
    cleanup.push(() => pool.close());
    await waitFor('every worker connected', 5000, () => workers.every((_, i) => pool.isConnected(i)));
  }

  beforeEach(async () => {
    caller = createSocket('udp4');
    await new Promise<void>((resolve) => caller.bind(0, '127.0.0.1', resolve));
    cleanup.push(() => caller.close());
  });

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  const params = (callId: string): AllocateParams => pcmuCallParams(callId, caller.address().port);

  /** Which test worker an allocated RTP port belongs to (each owns its slice). */
  function ownerOfPort(port: number): number {
    return workers.findIndex((w) => port >= w.slice.rtpPortMin && port <= w.slice.rtpPortMax);
  }

  async function allocate(callId: string): Promise<number> {
    const { localRtp } = await pool.allocate(params(callId));
    return ownerOfPort(localRtp.port);
  }

  it('allocates on the worker with the fewest calls in progress, ties to the lowest index', async () => {
    await startWorkers(3);
    await pool.whenConnected();
    const placed = [];
    for (const id of ['a', 'b', 'c', 'd']) placed.push(await allocate(`call-${id}`));
    expect(placed).to.deep.equal([0, 1, 2, 0]);
    expect([0, 1, 2].map((i) => pool.callsOn(i))).to.deep.equal([2, 1, 1]);
    expect(workers.map((w) => w.worker.callCount)).to.deep.equal([2, 1, 1]);
    // Worker 1 frees a call: it is now the least loaded.
    await pool.closeCall('call-b', 'caller-bye');
    expect(pool.callsOn(1)).to.equal(0);
    expect(await allocate('call-e')).to.equal(1);
    // Allocations in flight count: two at once go to two different workers.
    const both = await Promise.all([allocate('call-f'), allocate('call-g')]);
    expect(new Set(both).size).to.equal(2);
  });

  it('sends every later request for a call to the worker that allocated it', async () => {
    await startWorkers(2);
    expect(await allocate('call-1')).to.equal(0);
    expect(await allocate('call-2')).to.equal(1);
    expect(pool.workerOf('call-2')).to.equal(1);
    await pool.start('call-2', Date.now());
    await pool.update({ ...params('call-2'), direction: 'recvonly' });
    await pool.dtmf({ callId: 'call-2', digit: '5', durationMs: 100 });
    // Sent to worker 0 these would fail there (it has no call-2); the session on worker 1 took them.
    expect(workers[1]!.worker.session('call-2')).to.not.equal(undefined);
    expect(workers[0]!.worker.session('call-2')).to.equal(undefined);
    const stats = await pool.closeCall('call-2', 'caller-bye');
    expect(stats, 'the statistics come from the worker that had the call').to.not.equal(undefined);
    expect(workers[1]!.worker.callCount).to.equal(0);
    expect(workers[0]!.worker.callCount).to.equal(1);
    // A request for a call no worker holds fails clearly; closing it is a no-op.
    const error = await pool.start('call-2', Date.now()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(VoicebridgeError).with.property('code', 'VB_MEDIA_UNAVAILABLE');
    expect(await pool.closeCall('nobody', 'caller-bye')).to.equal(undefined);
  });

  it('passes on the events of every worker', async () => {
    await startWorkers(2);
    workers[1]!.server.broadcast({ event: 'hangup', callId: 'call-x', by: 'agent', reason: 'agent-hangup' });
    workers[0]!.server.broadcast({ event: 'hangup', callId: 'call-y', by: 'agent', reason: 'agent-hangup' });
    await waitFor('both events', 5000, () => events.length === 2);
    expect(events.map((e) => (e as { callId: string }).callId).sort()).to.deep.equal(['call-x', 'call-y']);
  });

  it('a worker lost ends only its calls; new calls go to the others, and to it again once it is back', async () => {
    await startWorkers(2);
    for (const id of ['a', 'b', 'c', 'd']) await allocate(`call-${id}`); // a, c on 0; b, d on 1
    const port = workers[0]!.port;
    await workers[0]!.close();
    await waitFor('the loss reported', 5000, () => lost.length === 1);
    expect(lost[0]!.sort()).to.deep.equal(['call-a', 'call-c']);
    expect(pool.callsOn(0)).to.equal(0);
    expect(pool.workerOf('call-b')).to.equal(1);
    await pool.start('call-b', Date.now()); // the other worker's calls go on
    expect(pool.connected).to.equal(true);
    expect(await allocate('call-e')).to.equal(1);
    expect(await allocate('call-f')).to.equal(1);
    // The supervisor restarts it on the same port: the pool reconnects and it is the least loaded.
    const again = await TestWorker.start(workers[0]!.slice, prefix, port);
    cleanup.push(() => again.close());
    workers[0] = again;
    await waitFor('worker 0 reconnected', 5000, () => pool.isConnected(0));
    expect(await allocate('call-g')).to.equal(0);
    expect(lost).to.have.length(1);
  });

  it('without a connected worker an allocation fails with VB_MEDIA_UNAVAILABLE; whenConnected waits for any one', async () => {
    await startWorkers(2);
    const ports = workers.map((w) => w.port);
    await Promise.all(workers.map((w) => w.close()));
    await waitFor('both down', 5000, () => !pool.connected);
    const error = await pool.allocate(params('call-z')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(VoicebridgeError).with.property('code', 'VB_MEDIA_UNAVAILABLE');
    const connected = pool.whenConnected();
    const second = await TestWorker.start(workers[1]!.slice, prefix, ports[1]);
    cleanup.push(() => second.close());
    workers[1] = second;
    await connected;
    expect(await allocate('call-y')).to.equal(1);
  });

  it('skips a worker out of RTP ports for the next one', async () => {
    await startWorkers(2, 1); // one pair each
    expect(await allocate('call-1')).to.equal(0);
    await pool.closeCall('call-1', 'caller-bye');
    // Both hold no call: worker 0 comes first, but its only pair is in quarantine, so worker 1 gets it.
    expect(await allocate('call-2')).to.equal(1);
    expect([pool.callsOn(0), pool.callsOn(1)]).to.deep.equal([0, 1]);
    const error = await pool.allocate(params('call-3')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(VoicebridgeError).with.property('code', 'VB_NO_MEDIA_PORT');
    expect([pool.callsOn(0), pool.callsOn(1)]).to.deep.equal([0, 1]);
  });

  it('closeCallEverywhere reaches whichever worker holds a call left by an earlier signaling', async () => {
    await startWorkers(2);
    await allocate('call-1');
    expect(await allocate('call-old')).to.equal(1);
    // A restarted signaling: a new pool that never allocated it.
    const fresh = new MediaPool({
      endpoints: workers.map((w) => ({ host: '127.0.0.1', port: w.port })),
      log,
      onEvent: () => undefined,
      onLost: () => undefined,
    });
    cleanup.push(() => fresh.close());
    await fresh.closeCallEverywhere('call-old', 'bridge-restart');
    expect(workers[1]!.worker.callCount).to.equal(0);
    expect(workers[0]!.worker.callCount).to.equal(1);
  });
});
