import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import type { CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository, RedisKeys } from '@voicebridge/store';
import { CallRecordWriter } from '../../src/call/call-record-writer.ts';
import { freePort } from '../../../../test/support/free-port.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';
import { captureLog } from '../log-capture.ts';

/**
 * A record write that fails (Redis unreachable: this client fails fast instead of queueing) is tried
 * again until it lands, so a call's `ended` is never lost to one failed write.
 */
describe('CallRecordWriter: failed writes are tried again (a real redis-server that comes up late)', function () {
  this.timeout(30_000);
  let server: ChildProcess | undefined;
  let redis: Redis;

  after(async () => {
    redis?.disconnect();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('the create and the ended update written in order once Redis is there, after failed attempts', async () => {
    const port = await freePort('tcp');
    redis = new Redis({ port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    redis.on('error', () => undefined);
    const records = new CallRecordRepository(redis, new RedisKeys('vbtest:writer'));
    const { log, messages } = captureLog();
    const writer = new CallRecordWriter('c-writer-1', records, log);
    const record: CallRecord = {
      version: 1,
      callId: 'c-writer-1',
      sipCallId: 'writer@test',
      from: 'sip:a@b',
      to: 'sip:+15550100@c',
      number: '+15550100',
      status: 'answered',
      invitedAtMs: Date.now(),
      transcript: [],
    };
    writer.create(record);
    writer.update({ status: 'ended', endedAtMs: Date.now(), verdict: { by: 'bridge', reason: 'drain' } });
    await waitFor('two failed attempts', 5000, () =>
      messages.filter((m) => m === 'call record write failed: trying again').length >= 2 ? true : undefined,
    );
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], { stdio: 'ignore' });
    await writer.settled();
    const written = await records.get('c-writer-1');
    expect(written?.status).to.equal('ended');
    expect(written?.verdict).to.deep.equal({ by: 'bridge', reason: 'drain' });
    expect(messages).to.not.include('call record write failed: given up');
  });
});
