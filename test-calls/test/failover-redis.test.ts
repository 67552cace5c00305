import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository, RedisKeys } from '@voicebridge/store';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { freePort } from '../../test/support/free-port.ts';
import { describeRun, runSipp } from '../src/sipp.ts';
import { startRedis, stopRedis } from '../src/private-redis.ts';
import { waitFor } from '../../test/support/wait-for.ts';

/**
 * Redis restarts in the middle of a real call (SIPp, the echo number). Connections queue
 * and reconnect (`maxRetriesPerRequest: null`), pub/sub resubscribes, so the call goes on and its
 * record catches up. (A Redis that comes back without its data is covered in docs/operations.md.)
 */
describe('failover: Redis restart mid-call', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let redisServer: ChildProcess;
  let redis: Redis;
  let dir: string;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-redis-'));
    port = await freePort('tcp');
    redisServer = await startRedis(port, dir);
    redis = new Redis({ port, maxRetriesPerRequest: null });
    redis.on('error', () => undefined); // refused while the server restarts: commands wait
    bridge = await startBridge({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  });
  after(async () => {
    await bridge?.stop();
    redis?.disconnect();
    if (redisServer) await stopRedis(redisServer);
    await rm(dir, { recursive: true, force: true });
  });

  it('a call in progress survives a 1 s Redis restart: it ends on the caller BYE with its record complete', async () => {
    const records = new CallRecordRepository(redis, new RedisKeys(bridge.prefix));
    const running = runSipp({
      scenario: 'uac-answer-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      pauseMs: 9000,
      timeoutMs: 40_000,
    });
    let callId: string | undefined;
    await waitFor('the call answered', 20_000, async () => {
      callId = (await records.listLive()).find((r) => r.status === 'answered')?.callId;
      return callId !== undefined;
    });
    // The outage's place and length in the call are the scenario: 1.5 s into the call, Redis is gone for 1 s.
    // eslint-disable-next-line no-restricted-globals -- see above
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await stopRedis(redisServer);
    // eslint-disable-next-line no-restricted-globals -- see above
    await new Promise((resolve) => setTimeout(resolve, 1000));
    redisServer = await startRedis(port, dir);

    const run = await running;
    expect(run.code, describeRun(run)).to.equal(0);
    let record: CallRecord | undefined;
    await waitFor(
      'the record ended',
      15_000,
      async () => (record = await records.get(callId as string))?.status === 'ended',
    );
    expect(record!.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    // The echo agent was still on the call after the restart: it answered the caller's audio, and
    // media never had to end the call for want of an agent.
    let closed: { framesFromAgent?: number; framesToAgent?: number } | undefined;
    await waitFor('the media session to close', 10_000, () => {
      const line = bridge.logs.find((l) => l.includes('"media closed"') && l.includes(callId as string));
      closed = line === undefined ? undefined : (JSON.parse(line) as typeof closed);
      return closed !== undefined;
    });
    process.stdout.write(
      `      frames to the agent ${closed!.framesToAgent}, from it ${closed!.framesFromAgent} over a ~10 s call with a 1 s Redis outage\n`,
    );
    expect(bridge.logs.some((l) => l.includes(callId as string) && l.includes('agent-lost'))).to.equal(false);
    expect(await records.listLive()).to.deep.equal([]);
    // And the bridge takes new calls on the restarted Redis (queue, records, audio channels).
    const again = await runSipp({
      scenario: 'uac-answer-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      pauseMs: 1000,
      timeoutMs: 20_000,
    });
    expect(again.code, describeRun(again)).to.equal(0);
  });
});
