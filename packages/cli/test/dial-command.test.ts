import { expect } from 'chai';
import { Queue } from 'bullmq';
import { addApiRoutes } from '@voicebridge/api';
import { HttpServer } from '@voicebridge/http';
import { DIAL_QUEUE, DialRequestSchema, SecretEnvAllowList } from '@voicebridge/protocol';
import { CallRecordRepository, DialLimits, NumberRepository, TrunkRepository } from '@voicebridge/store';
import { dialCanceller, dialEnqueuer } from '../src/dial-queue.ts';
import { type CliResult, runCliCaptured, useTestRedis } from './helpers.ts';

const ADMIN = 'admin-token-0123456789abcdef';

describe('placing calls: voicebridge dial and POST /api/v1/calls (real Redis, real BullMQ queue)', () => {
  const db = useTestRedis();
  let queue: Queue;
  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv);

  beforeEach(async () => {
    queue = new Queue(DIAL_QUEUE, { connection: db.redis, prefix: `${db.keys.prefix}:bull` });
    await new NumberRepository(db.redis, db.keys).put({ number: '+15550100', agent: { kind: 'echo' } });
    await new TrunkRepository(db.redis, db.keys).put({
      name: 'carrier',
      sources: ['127.0.0.1'],
      countryCode: '1',
      outbound: { uri: 'sip:127.0.0.1:5070', callerIds: ['+15550100', '+15550101'], dailyMaxCalls: 5 },
    });
  });
  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('dial queues one job per call, keyed by the call id, with the checked request', async () => {
    const out = await cli(
      'dial',
      '+15550777',
      '--trunk',
      'carrier',
      '--number',
      '+15550100',
      '--metadata',
      'campaign=x',
      '--json',
    );
    expect(out.status, out.stderr).to.equal(0);
    const printed = JSON.parse(out.stdout) as { callId: string; status: string; from: string };
    expect(printed).to.include({ status: 'queued', from: '+15550100' });
    const job = await queue.getJob(printed.callId);
    const request = DialRequestSchema.parse(job?.data);
    expect(request).to.include({
      callId: printed.callId,
      trunk: 'carrier',
      destination: '+15550777',
      callerId: '+15550100',
      number: '+15550100',
      ringTimeoutS: 30,
    });
    expect(request.metadata).to.deep.equal({ campaign: 'x' });
  });

  it('a refused premium-rate destination exits 1 naming the rule, and nothing is queued', async () => {
    const out = await cli('dial', '+19005550100', '--trunk', 'carrier', '--number', '+15550100');
    expect(out.status).to.equal(1);
    expect(out.stderr).to.match(
      /^voicebridge: premium-rate: \+19005550100 is in the premium-rate or high-fraud range \+1900/,
    );
    expect(await queue.count()).to.equal(0);
  });

  it('bad input is a usage error naming the flag; a spoofed caller id and a reached daily cap name their rule', async () => {
    const cases: [string[], number, RegExp][] = [
      [['5550777', '--trunk', 'carrier', '--number', '+15550100'], 2, /invalid <to>: must be E\.164/],
      [['+15550777', '--number', '+15550100'], 2, /--trunk is required/],
      [
        ['+15550777', '--trunk', 'carrier', '--number', '+15550100', '--ring-timeout', '0'],
        2,
        /invalid --ring-timeout "0"/,
      ],
      [
        ['+15550777', '--trunk', 'carrier', '--number', '+15550100', '--metadata', 'novalue'],
        2,
        /invalid --metadata "novalue": must be KEY=VALUE/,
      ],
      [
        ['+15550777', '--trunk', 'carrier', '--number', '+15550100', '--from', '+12025550100'],
        1,
        /^voicebridge: caller-id: \+12025550100 is not a caller id of trunk carrier/,
      ],
      [
        ['+15550777', '--trunk', 'nope', '--number', '+15550100'],
        1,
        /^voicebridge: trunk: no trunk nope is configured/,
      ],
      [
        ['+15550777', '--trunk', 'carrier', '--number', '+15550199'],
        1,
        /^voicebridge: number: \+15550199 is not configured/,
      ],
    ];
    for (const [argv, status, message] of cases) {
      const out = await cli('dial', ...argv);
      expect(out.status, argv.join(' ')).to.equal(status);
      expect(out.stderr, argv.join(' ')).to.match(message);
    }
    const limits = new DialLimits(db.redis, db.keys);
    for (let i = 0; i < 5; i++) await limits.countDailyCall('carrier', { dailyMaxCalls: 5 });
    const capped = await cli('dial', '+15550777', '--trunk', 'carrier', '--number', '+15550100');
    expect(capped.stderr).to.match(/^voicebridge: daily-max-calls: trunk carrier has started 5 of its 5 calls today/);
    expect(await queue.count()).to.equal(0);
  });

  describe('POST /api/v1/calls', () => {
    let server: HttpServer;
    let base = '';
    beforeEach(async () => {
      server = new HttpServer({
        host: '127.0.0.1',
        port: 0,
        adminToken: ADMIN,
        readToken: 'read-token-0123456789abcdef',
      });
      addApiRoutes(server, {
        redis: db.redis,
        keys: db.keys,
        outbound: { secretEnv: SecretEnvAllowList.default(), denyCidrs: 'none' },
        audit: () => undefined,
        enqueueDial: dialEnqueuer(queue),
        cancelQueuedDial: dialCanceller(queue),
      });
      base = `http://127.0.0.1:${(await server.listen()).port}`;
    });
    afterEach(() => server.close());

    const post = (body: unknown, token = ADMIN): Promise<Response> =>
      fetch(`${base}/api/v1/calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('answers 202 with a call id at once and queues the call', async () => {
      const response = await post({
        to: '+15550777',
        trunk: 'carrier',
        number: '+15550100',
        from: '+15550101',
        ringTimeoutS: 12,
      });
      expect(response.status).to.equal(202);
      const body = (await response.json()) as { callId: string; status: string };
      expect(body.status).to.equal('queued');
      const request = DialRequestSchema.parse((await queue.getJob(body.callId))?.data);
      expect(request).to.include({ callerId: '+15550101', ringTimeoutS: 12 });
    });

    it('a hang-up of a dial still on the queue takes it off and ends its record cancelled; again is 409', async () => {
      const queued = await post({ to: '+15550777', trunk: 'carrier', number: '+15550100', metadata: { k: 'v' } });
      const { callId } = (await queued.json()) as { callId: string };
      const hangup = (): Promise<Response> =>
        fetch(`${base}/api/v1/calls/${callId}/hangup`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN}` },
        });
      const first = await hangup();
      expect(first.status).to.equal(202);
      expect(await first.json()).to.deep.equal({ callId, command: 'cancel' });
      expect(await queue.getJob(callId)).to.equal(undefined);
      const record = await new CallRecordRepository(db.redis, db.keys).get(callId);
      expect(record).to.include({ status: 'ended', direction: 'outbound', trunk: 'carrier', to: '+15550777' });
      expect(record?.verdict).to.include({ by: 'bridge', reason: 'cancelled' });
      expect(record?.dial).to.include({ verdict: 'cancelled', attempts: 0 });
      expect(record?.metadata).to.deep.equal({ k: 'v' });
      expect((await hangup()).status).to.equal(409);
    });

    it('a guard refusal is 422 VB_DIAL_REFUSED naming the rule and the field; bad input 400; read token 403', async () => {
      const premium = await post({ to: '+18765550100', trunk: 'carrier', number: '+15550100' });
      expect(premium.status).to.equal(422);
      const body = (await premium.json()) as { error: { code: string; message: string; field: string } };
      expect(body.error).to.include({ code: 'VB_DIAL_REFUSED', field: 'to' });
      expect(body.error.message).to.match(/^premium-rate: /);
      const abroad = (await (await post({ to: '+442079460000', trunk: 'carrier', number: '+15550100' })).json()) as {
        error: { message: string };
      };
      expect(abroad.error.message).to.match(/^outbound-allow: /);
      const bad = await post({ to: '+15550777', trunk: 'carrier', number: '+15550100', extra: 1 });
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as { error: { field: string } }).error.field).to.equal('extra');
      expect(
        (await post({ to: '+15550777', trunk: 'carrier', number: '+15550100' }, 'read-token-0123456789abcdef')).status,
      ).to.equal(403);
      expect(await queue.count()).to.equal(0);
    });
  });
});
