import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { ConversationState } from '@voicebridge/protocol';
import { CallOwnership, ConversationRepository, RedisKeys } from '../src/index.ts';
import { connectTestRedis, deletePrefix, rejection, uniquePrefix } from './redis-fixture.ts';

function state(epoch: number, turns: number): ConversationState {
  return {
    version: 1,
    callId: 'c1',
    epoch,
    configVersion: 3,
    turns,
    messages: [
      { role: 'agent', text: 'Hello.', atMs: 10 },
      { role: 'caller', text: 'What are your opening hours?', atMs: 4000 },
    ],
    lastSaid: { text: 'Hello.', played: true },
    greeted: true,
    updatedAtMs: Date.now(),
  };
}

describe('CallOwnership and ConversationRepository (real Redis)', () => {
  let redis: Redis;
  let keys: RedisKeys;
  let owners: CallOwnership;
  let conversations: ConversationRepository;

  beforeEach(() => {
    redis = connectTestRedis();
    keys = new RedisKeys(uniquePrefix());
    owners = new CallOwnership(redis, keys, { ttlSeconds: 120 });
    conversations = new ConversationRepository(redis, keys, { ttlSeconds: 120 });
  });

  afterEach(async () => {
    await deletePrefix(redis, keys);
    redis.disconnect();
  });

  it('each claim takes the next epoch, with a TTL', async () => {
    expect(await owners.current('c1')).to.equal(0);
    expect(await owners.claim('c1')).to.equal(1);
    expect(await owners.claim('c1')).to.equal(2);
    expect(await owners.current('c1')).to.equal(2);
    expect(await redis.ttl(keys.callOwner('c1'))).to.be.within(1, 120);
  });

  it('the owner saves and a takeover loads the same state; a stale owner cannot overwrite it', async () => {
    await owners.claim('c1');
    const saved = state(1, 1);
    expect(await conversations.save(saved)).to.equal(true);
    await owners.claim('c1');
    expect(await conversations.load('c1')).to.deep.equal(saved);
    expect(await conversations.save(state(1, 5))).to.equal(false);
    expect((await conversations.load('c1'))?.turns).to.equal(1);
    expect(await conversations.save(state(2, 2))).to.equal(true);
    expect((await conversations.load('c1'))?.turns).to.equal(2);
    expect(await redis.ttl(keys.callConversation('c1'))).to.be.within(1, 120);
  });

  it('an owner whose epoch key vanished (e.g. a Redis restarted without data) writes and puts the fence back', async () => {
    expect(await conversations.save(state(3, 1))).to.equal(true);
    expect(await owners.current('c1')).to.equal(3);
    expect(await conversations.save(state(2, 1))).to.equal(false);
  });

  it('refuses an invalid state, and reads an unreadable one as none', async () => {
    const error = await rejection(conversations.save({ ...state(1, 1), turns: -1 }));
    expect(error.code).to.equal('VB_BAD_MESSAGE');
    await redis.set(keys.callConversation('c1'), '{not json');
    expect(await conversations.load('c1')).to.equal(undefined);
  });

  it('release and delete remove the call keys', async () => {
    await owners.claim('c1');
    await conversations.save(state(1, 1));
    await Promise.all([owners.release('c1'), conversations.delete('c1')]);
    expect(await redis.exists(keys.callOwner('c1'), keys.callConversation('c1'))).to.equal(0);
  });
});
