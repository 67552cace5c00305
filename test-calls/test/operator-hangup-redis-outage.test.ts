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
import { describeRun, runSipp, type SippResult } from '../src/sipp.ts';
import { startRedis, stopRedis } from '../src/private-redis.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const ADMIN = 'admin-token-outage-0123456789';

/** When the caller's SIPp received the bridge's BYE (its trace clock: this machine's wall clock). */
function byeReceivedAtMs(run: SippResult): number {
  const bye = run.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('BYE '));
  if (bye === undefined) throw new Error(`the caller got no BYE: ${describeRun(run)}`);
  return bye.atMs;
}

/**
 * The operator's hang-up (`POST /api/v1/calls/{id}/hangup`) asks this node's signaling over the
 * supervisor's IPC channel before it touches Redis, so it reaches a caller on this node as a BYE
 * while the bridge's own Redis (a private redis-server here) is stopped; the verdict is written
 * once Redis returns.
 */
describe('an operator hang-up during a Redis outage', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let redisServer: ChildProcess;
  let redis: Redis;
  let dir: string;
  let port: number;
  let records: CallRecordRepository;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-op-hangup-'));
    port = await freePort('tcp');
    redisServer = await startRedis(port, dir);
    redis = new Redis({ port, maxRetriesPerRequest: null });
    redis.on('error', () => undefined); // refused while the server is stopped: commands wait
    bridge = await startBridge({
      env: {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        ADMIN_TOKEN: ADMIN,
        // Nothing but the operator may end the call within the test.
        AGENT_LOST_TIMEOUT_MS: '600000',
        STT_POOL_SIZE: '1',
      },
    });
    records = new CallRecordRepository(redis, new RedisKeys(bridge.prefix));
  });
  after(async () => {
    await bridge?.stop();
    redis?.disconnect();
    if (redisServer) await stopRedis(redisServer);
    await rm(dir, { recursive: true, force: true });
  });

  it('a call this node does not hold goes the Redis way as before (404 for an unknown call)', async () => {
    const response = await fetch(`http://127.0.0.1:${bridge.httpPort}/api/v1/calls/cmibq3f2a0123456789abcd/hangup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status, await response.text()).to.equal(404);
  });

  it('POST /api/v1/calls/{id}/hangup BYEs the caller within 1 s with Redis stopped; the record says operator-hangup once Redis returns', async () => {
    const set = await bridge.cli(['numbers', 'set', '+15550199', '--max-call-duration', '3600']);
    expect(set.code, set.stderr).to.equal(0);
    const running = runSipp({
      scenario: 'uac-wait-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      timeoutMs: 60_000,
    });
    const call = await Promise.race([
      waitFor(
        'the call answered',
        20_000,
        async () => (await records.listLive()).find((r) => r.status === 'answered'),
        { everyMs: 50 },
      ),
      running.then((run): CallRecord => {
        throw new Error(`the caller ended before the answer: ${describeRun(run)}`);
      }),
    ]);
    await stopRedis(redisServer);
    const askedAtMs = Date.now();
    const response = await fetch(`http://127.0.0.1:${bridge.httpPort}/api/v1/calls/${call.callId}/hangup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
      signal: AbortSignal.timeout(10_000),
    });
    const answeredInMs = Date.now() - askedAtMs;
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).to.equal(202);
    expect(body).to.deep.include({ callId: call.callId, command: 'hangup' });
    expect(body['node']).to.equal(call.nodeId);
    const run = await running;
    expect(run.code, describeRun(run)).to.equal(0);
    const byeAfterMs = byeReceivedAtMs(run) - askedAtMs;
    process.stdout.write(
      `      BYE ${Math.round(byeAfterMs)} ms after the hang-up request (202 in ${answeredInMs} ms), Redis stopped\n`,
    );
    expect(byeAfterMs).to.be.within(0, 1000);

    redisServer = await startRedis(port, dir);
    const record = await waitFor(
      'the record ended',
      20_000,
      async () => {
        const r = await records.get(call.callId);
        return r?.status === 'ended' ? r : undefined;
      },
      { everyMs: 100 },
    );
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'operator-hangup' });
    expect(record.media, 'the media figures reached the record').to.be.an('object');
  });
});
