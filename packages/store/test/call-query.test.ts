import { expect } from 'chai';
import { newCallId } from '@voicebridge/protocol';
import type { CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository, queryCalls, type CallQuery } from '../src/index.ts';
import { useTestRedis } from './redis-fixture.ts';

const T0 = 1_800_000_000_000;

function record(invitedAtMs: number, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    version: 1,
    callId: newCallId(invitedAtMs),
    sipCallId: `${Math.random().toString(36).slice(2)}@198.51.100.7`,
    from: 'sip:+15557654321@198.51.100.7',
    to: 'sip:+15551230001@bridge.example',
    number: '+15551230001',
    status: 'ringing',
    invitedAtMs,
    transcript: [],
    ...overrides,
  };
}

describe('queryCalls (real Redis indexes)', () => {
  const db = useTestRedis();
  let nowMs = T0;
  let calls: CallRecordRepository;
  const query = (q: Partial<CallQuery>) => queryCalls(db.redis, db.keys, calls, { limit: 50, ...q });
  const ids = (rs: readonly CallRecord[]) => rs.map((r) => r.callId);

  beforeEach(() => {
    nowMs = T0;
    calls = new CallRecordRepository(db.redis, db.keys, {
      ttlSeconds: 3600,
      recentMaxAgeMs: 3_600_000,
      nowMs: () => nowMs,
    });
  });

  it('filters by number, caller, trunk, verdict and live, each returning only the matching calls', async () => {
    const a = record(T0 - 3000, { trunk: 'carrier-a' });
    const b = record(T0 - 2000, { number: '+15551230002', from: 'sip:+15550000009@203.0.113.5;user=phone' });
    const c = record(T0 - 1000, { trunk: 'carrier-b' });
    for (const r of [a, b, c]) await calls.create(r);
    await calls.update(a.callId, { status: 'ended', endedAtMs: T0, verdict: { by: 'caller', reason: 'caller-bye' } });

    expect(ids((await query({ number: '+15551230001' })).records)).to.deep.equal([c.callId, a.callId]);
    expect(ids((await query({ from: '+15550000009' })).records)).to.deep.equal([b.callId]);
    expect(ids((await query({ from: 'sip:+15550000009@elsewhere' })).records)).to.deep.equal([b.callId]);
    expect(ids((await query({ trunk: 'carrier-a' })).records)).to.deep.equal([a.callId]);
    expect(ids((await query({ verdict: 'caller-bye' })).records)).to.deep.equal([a.callId]);
    expect(ids((await query({ live: true })).records)).to.deep.equal([c.callId, b.callId]);
    expect(ids((await query({ number: '+15551230001', live: true })).records)).to.deep.equal([c.callId]);
    expect(ids((await query({ direction: 'inbound' })).records)).to.have.length(3);
    expect((await query({ direction: 'outbound' })).records).to.deep.equal([]);
    expect(ids((await query({ sinceMs: T0 - 2500, untilMs: T0 - 1500 })).records)).to.deep.equal([b.callId]);
  });

  it('pages with a stable cursor through calls sharing one millisecond, none twice, none missed', async () => {
    const made: CallRecord[] = [];
    for (let i = 0; i < 7; i++) made.push(record(T0 - (i < 5 ? 500 : i * 100)));
    for (const r of made) await calls.create(r);
    const seen: string[] = [];
    let page = await query({ limit: 2 });
    for (let guard = 0; guard < 10; guard++) {
      seen.push(...ids(page.records));
      if (page.next === undefined) break;
      // A call arriving between pages does not shift the rest.
      if (guard === 0) await calls.create(record(T0));
      page = await query({ limit: 2, after: page.next });
    }
    const expected = [...made].sort((x, y) => y.invitedAtMs - x.invitedAtMs || (y.callId < x.callId ? -1 : 1));
    expect(seen).to.deep.equal(ids(expected));
  });

  it('bounds the work of one page and hands back a cursor when a filter matches rarely', async () => {
    for (let i = 0; i < 30; i++) await calls.create(record(T0 - 1000 - i, { trunk: 'busy' }));
    const rare = record(T0 - 5000, { trunk: 'busy' });
    await calls.create(rare);
    await calls.update(rare.callId, { status: 'ended', verdict: { by: 'bridge', reason: 'no-ack' } });
    // The trunk's index drives (it comes before the verdict's); the verdict is checked on each record.
    const rareOnly = { trunk: 'busy', verdict: 'no-ack', maxScan: 10 };
    const first = await query(rareOnly);
    expect(first.records).to.deep.equal([]);
    expect(first.next).to.not.equal(undefined);
    let page = first;
    const found: string[] = [];
    for (let guard = 0; guard < 10 && page.next !== undefined; guard++) {
      page = await query({ ...rareOnly, after: page.next });
      found.push(...ids(page.records));
    }
    expect(found).to.deep.equal([rare.callId]);
    expect(page.next).to.equal(undefined);
  });

  it('trims the indexes by age as records expire: an old call leaves its index on the next write', async () => {
    const old = record(T0 - 10_000, { trunk: 'carrier-a' });
    await calls.create(old);
    nowMs = T0 + 3_600_000;
    await calls.create(record(nowMs - 1, { trunk: 'carrier-a' }));
    const members = await db.redis.zrange(db.keys.callsBy('trunk', 'carrier-a'), '0', '-1');
    expect(members).to.not.include(old.callId);
    expect(members).to.have.length(1);
    expect(await db.redis.pttl(db.keys.callsBy('trunk', 'carrier-a'))).to.be.within(1, 3_600_000);
  });
});
