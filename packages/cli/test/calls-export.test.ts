import { expect } from 'chai';
import { CallsQuerySchema } from '@voicebridge/api';
import { CallRecordSchema, newCallId, type CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository } from '@voicebridge/store';
import { type CliResult, runCliCaptured, useTestRedis } from './helpers.ts';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');

function call(invitedAtMs: number, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    version: 1,
    callId: newCallId(invitedAtMs),
    sipCallId: `${Math.random().toString(36).slice(2)}@198.51.100.7`,
    from: 'sip:+15557654321@198.51.100.7',
    to: 'sip:+15551230001@bridge.example',
    number: '+15551230001',
    status: 'ended',
    invitedAtMs,
    endedAtMs: invitedAtMs + 1000,
    verdict: { by: 'caller', reason: 'caller-bye' },
    transcript: [{ speaker: 'agent', text: 'Hello', atMs: 0 }],
    ...overrides,
  };
}

describe('voicebridge calls export (runCli, real Redis)', function () {
  this.timeout(60_000);
  const db = useTestRedis();
  const nowMs = (): number => T0 + 3_600_000;
  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv, { nowMs });
  const lines = (stdout: string): CallRecord[] =>
    stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => CallRecordSchema.parse(JSON.parse(l)));

  it('prints every call of the window as JSON lines, newest first, across several index pages', async () => {
    const calls = new CallRecordRepository(db.redis, db.keys, { nowMs });
    const made: CallRecord[] = [];
    // 1,100 calls, one a second: more than two pages of 500; a few before and after the window.
    for (let i = 0; i < 1100; i++) made.push(call(T0 + i * 1000, i % 100 === 0 ? { number: '+15551230002' } : {}));
    const pipeline = made.map((r) => calls.create(r));
    await Promise.all(pipeline);
    const since = new Date(T0 + 5000).toISOString();
    const until = String(T0 + 1_094_000);
    const { status, stdout, stderr } = await cli('calls', 'export', '--since', since, '--until', until);
    expect(stderr).to.equal('');
    expect(status).to.equal(0);
    const exported = lines(stdout);
    const expected = made.filter((r) => r.invitedAtMs >= T0 + 5000 && r.invitedAtMs <= T0 + 1_094_000).reverse();
    expect(exported.length).to.equal(1090);
    expect(exported.map((r) => r.callId)).to.deep.equal(expected.map((r) => r.callId));
    expect(exported[0]?.transcript).to.deep.equal([{ speaker: 'agent', text: 'Hello', atMs: 0 }]);

    const filtered = lines((await cli('calls', 'export', '--number', '+15551230002')).stdout);
    expect(filtered.map((r) => r.callId)).to.deep.equal(
      made
        .filter((r) => r.number === '+15551230002')
        .reverse()
        .map((r) => r.callId),
    );
  });

  it('refuses a bad value with the words the API uses, naming the flag (exit 2)', async () => {
    const { status, stderr } = await cli('calls', 'export', '--since', 'yesterday');
    expect(status).to.equal(2);
    const api = CallsQuerySchema.safeParse({ since: 'yesterday' });
    const message = api.success ? '' : (api.error.issues[0]?.message ?? '');
    expect(message).to.not.equal('');
    expect(stderr).to.include(`invalid --since "yesterday": ${message}`);
    expect((await cli('calls', 'export', '--verdict', 'bored')).stderr).to.match(/invalid --verdict "bored": /);
    expect((await cli('calls', 'export', '--since', '2000', '--until', '1000')).stderr).to.include(
      'invalid --until "1000": is before --since',
    );
  });
});
