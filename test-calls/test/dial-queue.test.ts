import { expect } from 'chai';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import {
  decodeControlJson,
  DIAL_QUEUE,
  encodeControl,
  FRAME_KIND_CONTROL,
  newCallId,
  type DialOutcome,
  type DialRequest,
} from '@voicebridge/protocol';
import { DialWorker } from '@voicebridge/signaling';
import { DialLimits, RedisKeys, TrunkRepository } from '@voicebridge/store';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import { describeRun, runSipp, type SippMessage } from '../src/sipp.ts';
import { freePort, portIsFree } from '../../test/support/free-port.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });

/**
 * The `dial` queue end to end: jobs as the API and the CLI queue them, the DialWorker in the
 * signaling node (here in process), the UAC, and a real SIPp callee whose own message log counts
 * what reached it.
 */
describe('the dial queue: DialWorker against a SIPp callee', function () {
  this.timeout(180_000);
  let bridge: InProcessBridge;
  let redis: Redis;
  let workerRedis: Redis;
  let keys: RedisKeys;
  let queue: Queue;
  const workers: DialWorker[] = [];

  before(async () => {
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 10,
      env: { SIP_T1_MS: '100' },
      // An agent speaking the channel protocol: ready at once, done at `stop`.
      agent:
        ({ channel }) =>
        async (job) => {
          let stopped!: () => void;
          const done = new Promise<void>((resolve) => (stopped = resolve));
          const end = channel.open(job.data.callId, 'agent', (m) => {
            if (m[0] === FRAME_KIND_CONTROL && (decodeControlJson(m) as { event?: string }).event === 'stop') stopped();
          });
          await end.ready;
          end.send(encodeControl({ event: 'ready' }));
          await job.updateProgress({ decision: 'accept' });
          await done;
          end.close();
        },
    });
    redis = new Redis({ maxRetriesPerRequest: null });
    workerRedis = new Redis({ maxRetriesPerRequest: null });
    keys = new RedisKeys(bridge.prefix);
    queue = new Queue(DIAL_QUEUE, { connection: redis, prefix: `${bridge.prefix}:bull` });
  });

  after(async () => {
    for (const worker of workers) await worker.close();
    await queue?.close();
    redis?.disconnect();
    workerRedis?.disconnect();
    await bridge?.close();
  });

  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.close();
    await queue.obliterate({ force: true });
  });

  function startWorker(options: { lockDurationMs?: number; stalledIntervalMs?: number } = {}): DialWorker {
    const worker = new DialWorker({
      workerRedis,
      redis,
      keys,
      dialler: {
        dial: (request, hooks) => bridge.signaling.dial(request, hooks),
        callsOnTrunk: (trunk) => bridge.signaling.calls.callsOnTrunk(trunk),
        isLive: (callId) => bridge.signaling.calls.numberConfigOf(callId) !== undefined,
      },
      log,
      concurrency: 20,
      endPollMs: 100,
      ...options,
    });
    workers.push(worker);
    return worker;
  }

  async function carrier(port: number, outbound: Record<string, unknown> = {}, maxCalls?: number): Promise<void> {
    await new TrunkRepository(redis, keys).put({
      name: 'carrier',
      sources: ['127.0.0.2'],
      countryCode: '1',
      ...(maxCalls !== undefined && { maxCalls }),
      outbound: { uri: `sip:127.0.0.1:${port}`, callerIds: ['+15550199'], ...outbound },
    });
    await bridge.signaling.trunks.refresh();
  }

  function request(destination = '+15550777', ringTimeoutS = 20): DialRequest {
    return {
      version: 1,
      callId: newCallId(),
      trunk: 'carrier',
      destination,
      callerId: '+15550199',
      number: '+15550199',
      ringTimeoutS,
      metadata: {},
      requestedAtMs: Date.now(),
    };
  }

  const enqueue = (r: DialRequest): Promise<unknown> =>
    queue.add('dial', r, { jobId: r.callId, attempts: 3, backoff: { type: 'fixed', delay: 1000 } });

  async function finished(callId: string, timeoutMs: number): Promise<DialOutcome> {
    return waitFor(`dial ${callId} to finish`, timeoutMs, async () => {
      const job = await queue.getJob(callId);
      return job?.returnvalue ?? undefined;
    });
  }

  async function sippCallee(scenario: string, calls: number, pauseMs: number) {
    const port = await freePort('udp', 'tcp');
    const running = runSipp({
      scenario,
      target: `127.0.0.1:${bridge.config.SIP_PORT}`,
      sipPort: port,
      calls,
      pauseMs,
      timeoutMs: 120_000,
    });
    await waitFor('SIPp bound its port', 10_000, async () => !(await portIsFree(port, 'udp')));
    return { port, running };
  }

  const header = (message: SippMessage, name: string): string =>
    message.headers
      .find((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.slice(name.length + 1)
      .trim() ?? '';

  /** The first of each call's INVITEs SIPp received: a retransmission (UDP, a loaded box) is logged again. */
  function invites(messages: SippMessage[]): SippMessage[] {
    const seen = new Set<string>();
    return messages.filter((m) => {
      if (m.direction !== 'received' || !m.startLine.startsWith('INVITE ')) return false;
      const id = header(m, 'Call-ID');
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }

  /** When each call ended at SIPp: the first 200 it received for its BYE. */
  function byeAnswers(messages: SippMessage[]): SippMessage[] {
    const seen = new Set<string>();
    return messages.filter((m) => {
      if (m.direction !== 'received' || !m.startLine.startsWith('SIP/2.0 200') || !/BYE/.test(header(m, 'CSeq')))
        return false;
      const id = header(m, 'Call-ID');
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }

  it('never more calls than --outbound-max-calls at once, nor INVITEs faster than --outbound-cps, as SIPp logged them', async () => {
    const calls = 6;
    const { port, running } = await sippCallee('uas-answer.xml', calls, 1500);
    await carrier(port, { maxCalls: 2, callsPerSecond: 1 });
    await startWorker().start();
    const requests = Array.from({ length: calls }, () => request());
    for (const r of requests) await enqueue(r);
    const outcomes = await Promise.all(requests.map((r) => finished(r.callId, 120_000)));
    const run = await running;
    expect(outcomes.map((o) => o.verdict)).to.deep.equal(Array(calls).fill('answered'));
    const received = invites(run.messages);
    expect(received, describeRun(run)).to.have.length(calls);
    // Concurrency from SIPp's own log: a call holds a channel from its INVITE to the 200 for its BYE.
    const edges: [number, number][] = [
      ...received.map((m): [number, number] => [m.atMs, 1]),
      ...byeAnswers(run.messages).map((m): [number, number] => [m.atMs, -1]),
    ];
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let live = 0;
    let most = 0;
    for (const [, step] of edges) most = Math.max(most, (live += step));
    expect(most, 'calls at once at SIPp').to.be.at.most(2).and.at.least(1);
    // Rate: a bucket of one token refilled at 1/s lets at most 2 INVITEs into any 1000 ms.
    const times = received.map((m) => m.atMs).sort((a, b) => a - b);
    for (let i = 2; i < times.length; i++)
      expect(times[i]! - times[i - 2]!, `INVITEs ${i - 2}..${i}`).to.be.at.least(1000);
  });

  it('a premium-rate destination queued by other means is refused at dial time naming the rule; nothing is sent', async () => {
    await carrier(9); // an unused port: an INVITE would go nowhere and the test would see a timeout, not a refusal
    await startWorker().start();
    const premium = request('+19005550100');
    await enqueue(premium);
    const outcome = await finished(premium.callId, 30_000);
    expect(outcome.verdict).to.equal('failed');
    expect(outcome.attempts).to.equal(0);
    expect(outcome.detail).to.match(/^premium-rate: \+19005550100/);
    const record = await bridge.records.get(premium.callId);
    expect(record).to.include({ status: 'ended', direction: 'outbound', trunk: 'carrier' });
    expect(record?.verdict).to.include({ by: 'bridge', reason: 'failed' });
    expect(await new DialLimits(redis, keys).inviteSentAt(premium.callId)).to.equal(undefined);
  });

  it('a dial job that lost its worker after the INVITE left is not dialled again: it ends failed, bridge-restart', async () => {
    const { port, running } = await sippCallee('uas-ring-cancel.xml', 1, 0);
    await carrier(port);
    await startWorker({ lockDurationMs: 2000, stalledIntervalMs: 500 }).start();
    const dial = request('+15550777', 8);
    await enqueue(dial);
    const limits = new DialLimits(redis, keys);
    await waitFor('the INVITE to leave', 20_000, async () => (await limits.inviteSentAt(dial.callId)) !== undefined);
    // The worker's process "dies": its lock goes as it would when nobody renews it, so BullMQ's
    // stalled check hands the job to a worker again, which must not redial.
    await redis.del(`${bridge.prefix}:bull:${DIAL_QUEUE}:${dial.callId}:lock`);
    const outcome = await finished(dial.callId, 60_000);
    expect(outcome).to.deep.include({ verdict: 'failed', attempts: 0, detail: 'bridge-restart' });
    const run = await running;
    expect(invites(run.messages), describeRun(run)).to.have.length(1);
  });
});
