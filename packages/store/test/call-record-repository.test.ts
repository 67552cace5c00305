import { expect } from 'chai';
import { newCallId } from '@voicebridge/protocol';
import type { CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository } from '../src/index.ts';
import { rejection, scanKeys, useTestRedis } from './redis-fixture.ts';

const TTL_S = 3600;

function record(overrides: Partial<CallRecord> = {}): CallRecord {
  const invitedAtMs = overrides.invitedAtMs ?? Date.now();
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

describe('CallRecordRepository (real Redis)', () => {
  const db = useTestRedis();
  let calls: CallRecordRepository;

  /**
   * Every per-call key under the test prefix, with its TTL in seconds. The indexes (recent, live and
   * the filters' `calls:by-…`) are not per-call keys; they expire recentMaxAgeMs after the last
   * write, checked here too.
   */
  async function ttls(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const key of await scanKeys(db.redis, db.keys)) {
      const ttl = await db.redis.ttl(key);
      if (key === db.keys.recentCalls() || key === db.keys.liveCalls() || key.includes(':calls:by-'))
        expect(ttl, key).to.be.greaterThan(0);
      else out.set(key, ttl);
    }
    return out;
  }

  beforeEach(() => {
    calls = new CallRecordRepository(db.redis, db.keys, { ttlSeconds: TTL_S });
  });

  it('get returns exactly what create wrote, transcript included', async () => {
    const r = record({
      agent: 'scripted',
      configVersion: 4,
      codec: 'PCMU',
      ptimeMs: 20,
      remoteRtp: { address: '198.51.100.7', port: 40000 },
      transcript: [{ speaker: 'agent', text: 'Hello', atMs: 0 }],
    });
    await calls.create(r);
    expect(await calls.get(r.callId)).to.deep.equal(r);
    expect(await calls.get(newCallId())).to.equal(undefined);
    expect(await calls.get('not a key-safe id')).to.equal(undefined);
  });

  it('stores one hash field per top-level property, JSON-encoded', async () => {
    const r = record({ remoteRtp: { address: '198.51.100.7', port: 40000 } });
    await calls.create(r);
    const hash = await db.redis.hgetall(db.keys.call(r.callId));
    expect(hash['remoteRtp']).to.equal('{"address":"198.51.100.7","port":40000}');
    expect(hash['status']).to.equal('"ringing"');
    expect(hash).to.not.have.property('transcript');
    expect(hash).to.not.have.property('answeredAtMs');
  });

  it('gives every per-call key a TTL after create, update and appendTranscript', async () => {
    const r = record();
    await calls.create(r);
    let all = await ttls();
    expect([...all.keys()]).to.include.members([db.keys.call(r.callId), db.keys.callBySipCallId(r.sipCallId)]);
    for (const [key, ttl] of all) expect(ttl, key).to.be.within(1, TTL_S);

    await calls.appendTranscript(r.callId, { speaker: 'caller', text: 'hi', atMs: 1200 });
    await db.redis.expire(db.keys.call(r.callId), 5);
    await calls.appendTranscript(r.callId, { speaker: 'agent', text: 'hello', atMs: 1900 });
    all = await ttls();
    expect(all.get(db.keys.callTranscript(r.callId))).to.be.within(TTL_S - 5, TTL_S);
    expect(all.get(db.keys.call(r.callId)), 'append refreshes the record TTL').to.be.within(TTL_S - 5, TTL_S);

    await db.redis.expire(db.keys.call(r.callId), 5);
    await db.redis.expire(db.keys.callTranscript(r.callId), 5);
    await calls.update(r.callId, { status: 'answered', answeredAtMs: r.invitedAtMs + 800 });
    all = await ttls();
    for (const [key, ttl] of all) expect(ttl, key).to.be.within(1, TTL_S);
    expect(all.get(db.keys.call(r.callId))).to.be.within(TTL_S - 5, TTL_S);
    expect(all.get(db.keys.callTranscript(r.callId))).to.be.within(TTL_S - 5, TTL_S);
  });

  it('update sets only the given fields and skips undefined ones', async () => {
    const r = record({ codec: 'PCMA' });
    await calls.create(r);
    await calls.update(r.callId, { status: 'answered', answeredAtMs: r.invitedAtMs + 500, codec: undefined });
    await calls.update(r.callId, {
      status: 'ended',
      endedAtMs: r.invitedAtMs + 9500,
      verdict: { by: 'caller', reason: 'caller-bye' },
    });
    expect(await calls.get(r.callId)).to.deep.equal({
      ...r,
      status: 'ended',
      answeredAtMs: r.invitedAtMs + 500,
      endedAtMs: r.invitedAtMs + 9500,
      verdict: { by: 'caller', reason: 'caller-bye' },
    });
  });

  it('update of a call that does not exist throws VB_CALL_NOT_FOUND and writes nothing', async () => {
    const callId = newCallId();
    const error = await rejection(calls.update(callId, { status: 'ended' }));
    expect(error.code).to.equal('VB_CALL_NOT_FOUND');
    expect(await scanKeys(db.redis, db.keys)).to.deep.equal([]);
  });

  it('rejects invalid records, patches and entries with an error naming the field', async () => {
    let error = await rejection(calls.create({ ...record(), invitedAtMs: 1.5 }));
    expect(error.message).to.match(/invitedAtMs/);
    const r = record();
    await calls.create(r);
    error = await rejection(calls.update(r.callId, { status: 'gone' as 'ended' }));
    expect(error.message).to.match(/status/);
    error = await rejection(calls.update(r.callId, { transcript: [] } as object));
    expect(error.message).to.match(/transcript/);
    error = await rejection(calls.appendTranscript(r.callId, { speaker: 'caller', text: 'x', atMs: -1 }));
    expect(error.message).to.match(/atMs/);
  });

  it('appends transcript entries in order', async () => {
    const r = record();
    await calls.create(r);
    const entries = [
      { speaker: 'agent' as const, text: 'Hello, how can I help?', atMs: 0 },
      { speaker: 'caller' as const, text: 'opening hours', atMs: 2100 },
      { speaker: 'agent' as const, text: 'We open at nine.', atMs: 2900 },
    ];
    for (const entry of entries) await calls.appendTranscript(r.callId, entry);
    expect((await calls.get(r.callId))?.transcript).to.deep.equal(entries);
  });

  it('finds a call by its SIP Call-ID', async () => {
    const r = record({ sipCallId: 'weird * [Call-ID] with spaces@host' });
    await calls.create(r);
    expect(await calls.findBySipCallId(r.sipCallId)).to.equal(r.callId);
    expect(await calls.findBySipCallId('unknown@host')).to.equal(undefined);
  });

  it('listRecent returns the newest calls first, up to the limit, across pages', async () => {
    const now = Date.now();
    const created: CallRecord[] = [];
    for (let i = 0; i < 230; i++) {
      const r = record({ invitedAtMs: now - 1000 * (i % 2 === 0 ? i : 230 - i) });
      created.push(r);
      await calls.create(r);
    }
    const expected = [...created].sort((a, b) => b.invitedAtMs - a.invitedAtMs).map((r) => r.callId);
    expect((await calls.listRecent({ limit: 3 })).map((r) => r.callId)).to.deep.equal(expected.slice(0, 3));
    expect((await calls.listRecent({ limit: 1000 })).map((r) => r.callId)).to.deep.equal(expected);
    expect(await calls.listRecent()).to.have.length(50);
  });

  it('trims the recent index by age and skips entries whose record expired', async () => {
    calls = new CallRecordRepository(db.redis, db.keys, { ttlSeconds: TTL_S, recentMaxAgeMs: 60_000 });
    const old = record({ invitedAtMs: Date.now() - 120_000 });
    const gone = record({ invitedAtMs: Date.now() - 1000 });
    const fresh = record();
    await calls.create(old);
    await calls.create(gone);
    await calls.create(fresh);
    expect(await db.redis.zscore(db.keys.recentCalls(), old.callId)).to.equal(null);
    expect(await calls.get(old.callId), 'the record itself lives out its TTL').to.not.equal(undefined);
    await db.redis.del(db.keys.call(gone.callId));
    expect((await calls.listRecent()).map((r) => r.callId)).to.deep.equal([fresh.callId]);
  });

  it('listLive returns calls not ended, and a call leaves it when updated to ended', async () => {
    const ringing = record({ invitedAtMs: Date.now() - 2000 });
    const answered = record({ status: 'answered', invitedAtMs: Date.now() - 1000 });
    const ended = record({ status: 'ended', endedAtMs: Date.now() });
    for (const r of [ringing, answered, ended]) await calls.create(r);
    expect((await calls.listLive()).map((r) => r.callId)).to.deep.equal([answered.callId, ringing.callId]);
    await calls.update(answered.callId, { status: 'ended', verdict: { by: 'agent', reason: 'agent-hangup' } });
    expect((await calls.listLive()).map((r) => r.callId)).to.deep.equal([ringing.callId]);
    expect(await db.redis.zscore(db.keys.liveCalls(), answered.callId)).to.equal(null);
  });

  it('reports corrupt stored data as an error naming the key and field', async () => {
    const r = record();
    await calls.create(r);
    const key = db.keys.call(r.callId);
    await db.redis.hset(key, 'invitedAtMs', 'yesterday');
    let error = await rejection(calls.get(r.callId));
    expect(error.message).to.include(key).and.include('invitedAtMs').and.include('not JSON');

    await db.redis.hset(key, 'invitedAtMs', '"yesterday"');
    error = await rejection(calls.get(r.callId));
    expect(error.message).to.include(key).and.include('invitedAtMs');

    await db.redis.hset(key, 'invitedAtMs', String(r.invitedAtMs));
    await db.redis.rpush(db.keys.callTranscript(r.callId), '{"speaker":"robot","text":"x","atMs":1}');
    error = await rejection(calls.get(r.callId));
    expect(error.message).to.include(key).and.include('transcript.0.speaker');
  });

  it('listRecent and listLive skip a corrupt record when given onCorrupt, and throw without it', async () => {
    const good = record({ invitedAtMs: Date.now() - 1000 });
    const bad = record();
    await calls.create(good);
    await calls.create(bad);
    await db.redis.hdel(db.keys.call(bad.callId), 'from');
    await rejection(calls.listRecent());
    const reported: string[] = [];
    const listed = await calls.listRecent({ onCorrupt: (e) => reported.push(e.message) });
    expect(listed.map((r) => r.callId)).to.deep.equal([good.callId]);
    expect(reported).to.have.length(1);
    expect(reported[0]).to.include(db.keys.call(bad.callId)).and.include('from');
    expect((await calls.listLive({ onCorrupt: () => {} })).map((r) => r.callId)).to.deep.equal([good.callId]);
  });

  it('refuses options that are not positive integers', () => {
    expect(() => new CallRecordRepository(db.redis, db.keys, { ttlSeconds: 0 })).to.throw(/ttlSeconds/);
    expect(() => new CallRecordRepository(db.redis, db.keys, { recentMaxAgeMs: 1.5 })).to.throw(/recentMaxAgeMs/);
  });
});
