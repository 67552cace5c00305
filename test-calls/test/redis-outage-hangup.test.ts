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

/** When the caller's SIPp received the bridge's BYE (its trace clock: this machine's wall clock). */
function byeReceivedAtMs(run: SippResult): number {
  const bye = run.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('BYE '));
  if (bye === undefined) throw new Error(`the caller got no BYE: ${describeRun(run)}`);
  return bye.atMs;
}

/** When the bridge logged `msg` for the call (pino's `time`, this machine's wall clock). */
function logTime(logs: readonly string[], callId: string, msg: string): number {
  for (const line of logs) {
    if (!line.includes(msg) || !line.includes(callId)) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: number; callId?: string };
    if (entry.msg === msg && entry.callId === callId && typeof entry.time === 'number') return entry.time;
  }
  throw new Error(`the bridge never logged "${msg}" for call ${callId}`);
}

/**
 * Protocol first, persistence after (docs/closures.md): a hang-up decided in signaling reaches the
 * caller as a BYE while the bridge's own Redis (a private redis-server here) is stopped; the media
 * release and the record wait for Redis, and the record is complete once it returns. The call's
 * hard cap (maxCallDurationS + 30 s) ends a call the agent cannot end (its Redis is gone).
 */
describe('a Redis outage does not hold back our BYE', function () {
  this.timeout(150_000);
  let bridge: RunningBridge;
  let redisServer: ChildProcess;
  let redis: Redis;
  let dir: string;
  let port: number;
  let records: CallRecordRepository;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-redis-outage-'));
    port = await freePort('tcp');
    redisServer = await startRedis(port, dir);
    redis = new Redis({ port, maxRetriesPerRequest: null });
    redis.on('error', () => undefined); // refused while the server is stopped: commands wait
    bridge = await startBridge({
      env: {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        // Only the hard cap may end the capped call: media's own agent-lost end would come first.
        AGENT_LOST_TIMEOUT_MS: '600000',
        DRAIN_TIMEOUT_MS: '2000',
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

  async function answeredCall(running: Promise<SippResult>): Promise<CallRecord> {
    const found = await Promise.race([
      waitFor(
        'the call answered',
        20_000,
        async () => (await records.listLive()).find((r) => r.status === 'answered'),
        { everyMs: 50 },
      ),
      running.then((run) => {
        throw new Error(`the caller ended before the answer: ${describeRun(run)}`);
      }),
    ]);
    return found;
  }

  async function endedRecord(callId: string): Promise<CallRecord> {
    return waitFor(
      'the record ended',
      20_000,
      async () => {
        const r = await records.get(callId);
        return r?.status === 'ended' ? r : undefined;
      },
      { everyMs: 100 },
    );
  }

  it('the hard cap (maxCallDurationS + 30 s) BYEs a call whose agent cannot end it, within 1 s, with Redis stopped', async () => {
    const set = await bridge.cli(['numbers', 'set', '+15550199', '--max-call-duration', '2']);
    expect(set.code, set.stderr).to.equal(0);
    const running = runSipp({
      scenario: 'uac-wait-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      timeoutMs: 70_000,
    });
    const call = await answeredCall(running);
    // Before the agent's own limit (2 s): its goodbye and hang-up travel over Redis and cannot arrive.
    await stopRedis(redisServer);
    const run = await running;
    expect(run.code, describeRun(run)).to.equal(0);
    const capAtMs = (call.answeredAtMs as number) + 32_000;
    const lateMs = byeReceivedAtMs(run) - capAtMs;
    process.stdout.write(`      BYE ${lateMs} ms after the hard cap (answer + 32 s), Redis stopped\n`);
    expect(lateMs).to.be.within(-200, 1000);

    redisServer = await startRedis(port, dir);
    const record = await endedRecord(call.callId);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'max-duration' });
    expect(record.endedAtMs).to.be.a('number');
    expect(record.media, 'the media figures reached the record').to.be.an('object');
  });

  it("the agent's own hang-up, decided while Redis is stopped, reaches the caller as BYE soon after Redis returns", async () => {
    // The agent's guard ends the call at 4 s with a farewell and a hang-up; both go over Redis.
    const set = await bridge.cli(['numbers', 'set', '+15550199', '--max-call-duration', '4']);
    expect(set.code, set.stderr).to.equal(0);
    const running = runSipp({
      scenario: 'uac-wait-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      timeoutMs: 70_000,
    });
    const call = await answeredCall(running);
    await stopRedis(redisServer);
    // Back once the guard has decided (answer + 4 s), so its farewell and hang-up meet the outage.
    await waitFor('the guard ends the call', 30_000, () =>
      bridge.logs.some((line) => line.includes('call guard ends the call') && line.includes(call.callId)),
    );
    redisServer = await startRedis(port, dir);
    const backAtMs = Date.now();
    const run = await running;
    expect(run.code, describeRun(run)).to.equal(0);
    // The farewell's playout reports were lost with the outage: the guard hangs up once the
    // farewell ("This call has reached its time limit. Goodbye.", ~3.3 s) would have played plus
    // 1 s, not after each lost report's own grace (10.5 s measured before), and the hang-up must
    // then reach the caller within a second or two.
    const decidedAtMs = logTime(bridge.logs, call.callId, 'call guard ends the call');
    const hungUpAtMs = logTime(bridge.logs, call.callId, 'agent hangs up');
    const lateMs = byeReceivedAtMs(run) - Math.max(backAtMs, hungUpAtMs);
    process.stdout.write(
      `      BYE ${lateMs} ms after Redis returned or the agent hung up (hang-up ${hungUpAtMs - decidedAtMs} ms after the guard decided, ${hungUpAtMs - backAtMs} ms after Redis returned)\n`,
    );
    expect(lateMs).to.be.within(0, 2000);
    expect(hungUpAtMs - decidedAtMs, 'the farewell and its grace, not the lost reports').to.be.below(7000);
    // Not a bridge-side end: the hard cap would come at answer + 34 s.
    expect(byeReceivedAtMs(run)).to.be.below((call.answeredAtMs as number) + 30_000);

    const record = await endedRecord(call.callId);
    expect(record.verdict).to.deep.include({ by: 'agent', reason: 'max-duration' });
  });

  it('a drain BYEs the caller at its deadline within 1 s while Redis is stopped; the record is complete after Redis returns', async () => {
    const reset = await bridge.cli(['numbers', 'set', '+15550199', '--max-call-duration', '3600']);
    expect(reset.code, reset.stderr).to.equal(0);
    const running = runSipp({
      scenario: 'uac-wait-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      timeoutMs: 40_000,
    });
    const call = await answeredCall(running);
    await stopRedis(redisServer);
    const drainedAtMs = Date.now();
    bridge.child.kill('SIGTERM');
    const run = await running;
    expect(run.code, describeRun(run)).to.equal(0);
    // The BYE goes out at DRAIN_TIMEOUT_MS (2 s) after the stop reached signaling.
    const lateMs = byeReceivedAtMs(run) - (drainedAtMs + 2000);
    process.stdout.write(`      BYE ${lateMs} ms after the drain deadline, Redis stopped\n`);
    expect(lateMs).to.be.within(-200, 1000);

    redisServer = await startRedis(port, dir);
    const record = await endedRecord(call.callId);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'drain' });
    expect(record.media, 'the media figures reached the record').to.be.an('object');
  });
});
