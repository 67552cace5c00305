import { expect } from 'chai';
import { Queue } from 'bullmq';
import { CALL_EVENTS_QUEUE, newCallId, type CallEventJob, type CallRecord } from '@voicebridge/protocol';
import { CallEventDeadLetters, CallRecordRepository } from '@voicebridge/store';
import type { OutboundRules } from '../src/cli-context.ts';
import { type CliResult, outboundRulesOf, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551239301';

describe('voicebridge calls events (real Redis, the real BullMQ queue)', () => {
  const db = useTestRedis();
  let rules: OutboundRules;
  let callId: string;

  beforeEach(async () => {
    rules = outboundRulesOf({ 'hooks.example.com': '93.184.216.34' });
    callId = newCallId(Date.now());
    const record: CallRecord = {
      version: 1,
      callId,
      sipCallId: `events-${callId}@example.com`,
      from: 'sip:+15557654321@198.51.100.7',
      to: `sip:${NUMBER}@bridge.example`,
      number: NUMBER,
      status: 'ended',
      invitedAtMs: Date.now() - 60_000,
      endedAtMs: Date.now(),
      verdict: { by: 'caller', reason: 'caller-bye' },
      transcript: [],
    };
    await new CallRecordRepository(db.redis, db.keys).create(record);
    const letters = new CallEventDeadLetters(db.redis, db.keys, { ttlSeconds: 600 });
    for (const [sequence, type] of [
      [1, 'call.ringing'],
      [2, 'call.ended'],
    ] as const) {
      const eventId = `evt_${String(sequence).padStart(22, 'x')}`;
      const job: CallEventJob = {
        eventId,
        type,
        callId,
        sequence,
        target: {
          url: 'https://hooks.example.com/old',
          secretEnv: 'VB_SECRET_HOOKS',
          insecure: false,
          timeoutMs: 5000,
        },
        body: JSON.stringify({ type, sequence }),
      };
      await letters.add(
        callId,
        { eventId, type, sequence, attempts: 12, status: 503, error: 'HTTP 503', failedAtMs: Date.now() },
        job,
      );
    }
  });

  const cli = (...argv: string[]): Promise<CliResult> =>
    runCliCaptured(db, argv, { outbound: rules, events: { maxAttempts: 3, backoffMs: 250, deadLetterTtlS: 600 } });

  it('lists the events given up on, by call id or SIP Call-ID, as text and JSON', async () => {
    const text = await cli('calls', 'events', callId);
    expect(text.stderr).to.equal('');
    expect(text.status).to.equal(0);
    expect(text.stdout)
      .to.include('events not delivered (2)')
      .and.include('#1 call.ringing: HTTP 503 after 12 attempts');
    const bySip = await cli('calls', 'events', `events-${callId}@example.com`, '--json');
    expect(bySip.status).to.equal(0);
    const listed = JSON.parse(bySip.stdout) as { sequence: number; type: string }[];
    expect(listed.map((l) => [l.sequence, l.type])).to.deep.equal([
      [1, 'call.ringing'],
      [2, 'call.ended'],
    ]);
    expect(bySip.stdout, 'the stored job (URL, body) is not printed').not.to.include('hooks.example.com');
  });

  it('--redeliver queues each again with its id, body and the number’s URL as it is now; the list empties', async () => {
    const refused = await cli('calls', 'events', callId, '--redeliver');
    expect(refused.status, 'a number without events').to.equal(1);
    expect(refused.stderr).to.include(`its number ${NUMBER} sends no events now`);
    expect((await cli('calls', 'events', callId, '--json')).stdout, 'nothing taken off the list').to.include(
      'call.ended',
    );

    const set = await cli(
      'numbers',
      'set',
      NUMBER,
      '--events-url',
      'https://hooks.example.com/fixed',
      '--events-secret-env',
      'VB_SECRET_HOOKS',
    );
    expect(set.stderr).to.equal('');
    const result = await cli('calls', 'events', callId, '--redeliver', '--json');
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    const ids = (JSON.parse(result.stdout) as { redelivered: string[] }).redelivered;
    expect(ids).to.deep.equal([`evt_${'1'.padStart(22, 'x')}`, `evt_${'2'.padStart(22, 'x')}`]);

    const queue = new Queue<CallEventJob>(CALL_EVENTS_QUEUE, {
      connection: db.redis,
      prefix: `${db.keys.prefix}:bull`,
    });
    try {
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.map((j) => j.id).sort()).to.deep.equal(ids);
      for (const job of jobs) {
        expect(job.data.target.url).to.equal('https://hooks.example.com/fixed');
        expect(job.data.body).to.equal(JSON.stringify({ type: job.data.type, sequence: job.data.sequence }));
        expect(job.opts.attempts).to.equal(3);
      }
    } finally {
      await queue.close();
    }
    expect(JSON.parse((await cli('calls', 'events', callId, '--json')).stdout)).to.deep.equal([]);
    const again = await cli('calls', 'events', callId, '--redeliver');
    expect(again.stdout).to.include('no undelivered events to queue again');
  });

  it('names the call it cannot find, and a bad flag', async () => {
    const missing = await cli('calls', 'events', 'c-nope');
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.include('no call "c-nope"');
    const bad = await cli('calls', 'events', callId, '--redeliverr');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('--redeliverr');
  });
});
