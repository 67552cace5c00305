import type { Redis } from 'ioredis';
import type { TrunkOutbound } from '@voicebridge/protocol';
import { LuaScript } from './lua-script.ts';
import type { RedisKeys } from './redis-keys.ts';

/**
 * Token bucket per trunk, shared by every node: Redis TIME is the clock, so nodes with skewed clocks
 * still share one rate. Burst is one second's worth (at least one call), as for inbound CPS. Returns
 * 0 when a token was taken, else the ms until one will be there (nothing taken).
 */
const TAKE_TOKEN = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
local tokens = tonumber(state[1]) or burst
local last = tonumber(state[2]) or now
if now > last then tokens = math.min(burst, tokens + (now - last) * rate / 1000) end
if now < last then now = last end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ms', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
`);

/**
 * A channel of the trunk for one call, leased (a node that dies frees it when the lease ends).
 * Idempotent per call id. Returns the calls holding a channel after this one, or -1 when full.
 */
const TAKE_CHANNEL = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
if not held then
  local limit = tonumber(ARGV[3])
  if limit >= 0 and count >= limit then return -1 end
  count = count + 1
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return count
`);

/** Counts one call on the day unless a daily cap is reached: 'ok', 'daily-max-calls' or 'daily-max-minutes'. */
const COUNT_DAY = new LuaScript(`
local state = redis.call('HMGET', KEYS[1], 'calls', 'seconds')
local calls = tonumber(state[1]) or 0
local seconds = tonumber(state[2]) or 0
local maxSeconds = tonumber(ARGV[2])
if maxSeconds >= 0 and seconds >= maxSeconds then return 'daily-max-minutes' end
local maxCalls = tonumber(ARGV[1])
if maxCalls >= 0 and calls >= maxCalls then return 'daily-max-calls' end
redis.call('HINCRBY', KEYS[1], 'calls', 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 'ok'
`);

const DAY_TTL_MS = 2 * 86_400_000;

/** The UTC day a moment falls on, as the daily counters name it: `2026-12-06`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The counters behind a trunk's outbound limits, in Redis so every node shares them: the CPS token
 * bucket, channels held (outbound calls in progress), and the daily caps. Borrows the connection.
 */
export class DialLimits {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** 0 when the call may start now (a token taken), else ms to wait before asking again. */
  async takeCallToken(trunk: string, callsPerSecond: number): Promise<number> {
    const burst = Math.max(1, callsPerSecond);
    return Number(await TAKE_TOKEN.run(this.#redis, [this.#keys.dialTrunk(trunk, 'bucket')], [callsPerSecond, burst]));
  }

  /**
   * Takes a channel for `callId` for `leaseMs` (renewed by calling again) unless `limit` channels are
   * held; `limit` undefined means no limit. True when the call holds one.
   */
  async takeChannel(trunk: string, callId: string, leaseMs: number, limit: number | undefined): Promise<boolean> {
    const key = this.#keys.dialTrunk(trunk, 'active');
    const count = Number(await TAKE_CHANNEL.run(this.#redis, [key], [callId, Math.ceil(leaseMs), limit ?? -1]));
    return count >= 0;
  }

  async releaseChannel(trunk: string, callId: string): Promise<void> {
    await this.#redis.zrem(this.#keys.dialTrunk(trunk, 'active'), callId);
  }

  /** Outbound calls holding a channel of the trunk now (leases not yet expired). */
  async channelsHeld(trunk: string): Promise<number> {
    return this.#redis.zcount(this.#keys.dialTrunk(trunk, 'active'), Date.now(), '+inf');
  }

  /** Counts one call on today's counters unless a daily cap is reached (then names the cap's rule). */
  async countDailyCall(
    trunk: string,
    outbound: Pick<TrunkOutbound, 'dailyMaxCalls' | 'dailyMaxMinutes'>,
    nowMs = Date.now(),
  ): Promise<'ok' | 'daily-max-calls' | 'daily-max-minutes'> {
    const key = this.#keys.dialTrunk(trunk, `day:${utcDay(nowMs)}`);
    const maxSeconds = outbound.dailyMaxMinutes === undefined ? -1 : outbound.dailyMaxMinutes * 60;
    const result = await COUNT_DAY.run(this.#redis, [key], [outbound.dailyMaxCalls ?? -1, maxSeconds, DAY_TTL_MS]);
    return result as 'ok' | 'daily-max-calls' | 'daily-max-minutes';
  }

  /** Adds an answered call's seconds to the day it was answered on (the minutes cap). */
  async addAnsweredSeconds(trunk: string, seconds: number, answeredAtMs: number): Promise<void> {
    const key = this.#keys.dialTrunk(trunk, `day:${utcDay(answeredAtMs)}`);
    await this.#redis
      .multi()
      .hincrby(key, 'seconds', Math.max(0, Math.round(seconds)))
      .pexpire(key, DAY_TTL_MS)
      .exec();
  }

  /** Today's counters of a trunk: calls started, minutes answered (rounded up). */
  async today(trunk: string, nowMs = Date.now()): Promise<{ calls: number; minutes: number }> {
    const [calls, seconds] = await this.#redis.hmget(
      this.#keys.dialTrunk(trunk, `day:${utcDay(nowMs)}`),
      'calls',
      'seconds',
    );
    return { calls: Number(calls ?? 0), minutes: Math.ceil(Number(seconds ?? 0) / 60) };
  }

  /**
   * Marks the first INVITE of `callId` as leaving. True the first time; false when it already left
   * once (a retried job after a restart: the callee may have rung, so it is never dialled again).
   */
  async markInviteSent(callId: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const set = await this.#redis.set(this.#keys.callInviteSent(callId), String(nowMs), 'PX', ttlMs, 'NX');
    return set === 'OK';
  }

  async inviteSentAt(callId: string): Promise<number | undefined> {
    const value = await this.#redis.get(this.#keys.callInviteSent(callId));
    return value === null ? undefined : Number(value);
  }
}
