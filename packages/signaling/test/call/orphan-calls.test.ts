import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { newCallId } from '@voicebridge/protocol';
import { CallRecordRepository, RedisKeys } from '@voicebridge/store';
import { closeOrphanCalls } from '../../src/call/orphan-calls.ts';

describe('closeOrphanCalls', () => {
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const redis = new Redis();
  after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('closes every record left live with verdict bridge-restart, and leaves ended ones alone', async () => {
    const records = new CallRecordRepository(redis, new RedisKeys(prefix));
    const base = {
      version: 1 as const,
      from: 'sip:a@b',
      to: 'sip:+15550100@c',
      number: '+15550100',
      invitedAtMs: Date.now(),
      transcript: [],
    };
    const live = newCallId();
    const ended = newCallId();
    await records.create({ ...base, callId: live, sipCallId: 'live@x', status: 'answered' });
    await records.create({
      ...base,
      callId: ended,
      sipCallId: 'ended@x',
      status: 'ended',
      verdict: { by: 'caller', reason: 'caller-bye' },
    });
    expect(await closeOrphanCalls(records, 'node-a', pino({ level: 'silent' }))).to.equal(1);
    expect((await records.get(live))?.verdict).to.deep.include({ by: 'bridge', reason: 'bridge-restart' });
    expect((await records.get(live))?.status).to.equal('ended');
    expect((await records.get(ended))?.verdict?.reason).to.equal('caller-bye');
    expect(await records.listLive()).to.deep.equal([]);
  });

  it("closes this node's calls and those no node took, never another node's", async () => {
    const records = new CallRecordRepository(redis, new RedisKeys(prefix));
    const base = {
      version: 1 as const,
      from: 'sip:a@b',
      to: 'sip:+15550100@c',
      number: '+15550100',
      invitedAtMs: Date.now(),
      status: 'answered' as const,
      transcript: [],
    };
    const [mine, unowned, theirs] = [newCallId(), newCallId(), newCallId()];
    await records.create({ ...base, callId: mine, sipCallId: 'mine@x', nodeId: 'node-a' });
    await records.create({ ...base, callId: unowned, sipCallId: 'unowned@x' });
    await records.create({ ...base, callId: theirs, sipCallId: 'theirs@x', nodeId: 'node-b' });
    expect(await records.liveCallIdsOnNode('node-a')).to.deep.equal([mine]);
    const closed: string[] = [];
    expect(await closeOrphanCalls(records, 'node-a', pino({ level: 'silent' }), (r) => closed.push(r.callId))).to.equal(
      2,
    );
    expect(closed).to.have.members([mine, unowned]);
    expect((await records.get(theirs))?.status).to.equal('answered');
    expect((await records.listLive()).map((r) => r.callId)).to.deep.equal([theirs]);
    // Ending a call takes it out of its node's index too.
    expect(await records.liveCallIdsOnNode('node-a')).to.deep.equal([]);
    expect(await records.liveCallIdsOnNode('node-b')).to.deep.equal([theirs]);
    await records.update(theirs, { status: 'ended', endedAtMs: Date.now() });
    expect(await records.liveCallIdsOnNode('node-b')).to.deep.equal([]);
  });
});
