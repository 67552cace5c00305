import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis-keys.ts';
import { LuaScript } from './lua-script.ts';

const ONE_DAY_S = 24 * 3600;

/** INCR and (re)apply the TTL in one step. KEYS: owner key; ARGV: ttlSeconds. */
const CLAIM_SCRIPT = new LuaScript(`
local epoch = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return epoch
`);

/**
 * A call's owner epoch (docs/adr/0010): each claim of the call's BullMQ job takes the next epoch,
 * so the newest owner always holds the highest one and anything stamped lower comes from an owner
 * that lost the call. Key `<prefix>:call:<callId>:owner`, a counter with a TTL.
 */
export class CallOwnership {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #ttlSeconds: number;

  constructor(redis: Redis, keys: RedisKeys, options: { ttlSeconds?: number } = {}) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlSeconds = options.ttlSeconds ?? ONE_DAY_S;
  }

  /** Takes the call: resolves with this owner's epoch (1 for the first claim). */
  async claim(callId: string): Promise<number> {
    return Number(await CLAIM_SCRIPT.run(this.#redis, [this.#keys.callOwner(callId)], [this.#ttlSeconds]));
  }

  /** The current epoch, 0 when the call was never claimed (or its key expired). */
  async current(callId: string): Promise<number> {
    return Number((await this.#redis.get(this.#keys.callOwner(callId))) ?? 0);
  }

  /** The call is over: nothing will take it again. */
  async release(callId: string): Promise<void> {
    await this.#redis.del(this.#keys.callOwner(callId));
  }
}
