import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { VoicebridgeError } from '@voicebridge/protocol';
import { RedisKeys } from '../src/index.ts';

export const TEST_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(): string {
  return `vbtest:${randomBytes(6).toString('hex')}`;
}

export function connectTestRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** Every key under the prefix, via SCAN (never KEYS). */
export async function scanKeys(redis: Redis, keys: RedisKeys): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', keys.pattern(), 'COUNT', 500);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

export async function deletePrefix(redis: Redis, keys: RedisKeys): Promise<void> {
  const found = await scanKeys(redis, keys);
  for (let i = 0; i < found.length; i += 500) await redis.del(...found.slice(i, i + 500));
}

/** The VoicebridgeError a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<VoicebridgeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(VoicebridgeError);
    return error as VoicebridgeError;
  }
  throw new Error('expected a rejection');
}

export interface TestRedis {
  readonly redis: Redis;
  readonly keys: RedisKeys;
}

/**
 * Registers the suite's Redis hooks: one connection for the suite (quit after it) and a fresh key
 * prefix per test, whose keys are deleted after the test. Call it first in a `describe`, so the
 * suite's own `beforeEach` hooks see this test's `keys`.
 */
export function useTestRedis(): TestRedis {
  let redis: Redis | undefined;
  let keys: RedisKeys | undefined;
  before(() => {
    redis = connectTestRedis();
  });
  after(async () => {
    await redis?.quit();
  });
  beforeEach(() => {
    keys = new RedisKeys(uniquePrefix());
  });
  afterEach(async () => {
    if (redis && keys) await deletePrefix(redis, keys);
  });
  return {
    get redis(): Redis {
      if (!redis) throw new Error('useTestRedis: no connection outside a test');
      return redis;
    },
    get keys(): RedisKeys {
      if (!keys) throw new Error('useTestRedis: no key prefix outside a test');
      return keys;
    },
  };
}
