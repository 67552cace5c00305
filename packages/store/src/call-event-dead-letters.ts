import type { Redis } from 'ioredis';
import { CallEventDeadLetterSchema, type CallEventDeadLetter } from '@voicebridge/protocol';
import type { RedisKeys } from './redis-keys.ts';

/** A call whose receiver is down loses every event: keep the newest, enough to see the pattern. */
const MAX_DEAD_LETTERS = 50;

/**
 * The call events given up on, kept with the call for the record's TTL: written by the agent's
 * event worker, read by the API and `calls show`.
 */
export class CallEventDeadLetters {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #ttlSeconds: number;

  constructor(redis: Redis, keys: RedisKeys, options: { ttlSeconds: number }) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlSeconds = options.ttlSeconds;
  }

  async add(callId: string, letter: CallEventDeadLetter): Promise<void> {
    const key = this.#keys.callEventsDead(callId);
    await this.#redis
      .multi()
      .rpush(key, JSON.stringify(CallEventDeadLetterSchema.parse(letter)))
      .ltrim(key, -MAX_DEAD_LETTERS, -1)
      .expire(key, this.#ttlSeconds)
      .exec();
  }

  /** Oldest first; an entry that does not parse (a newer writer's) is skipped. */
  async list(callId: string): Promise<CallEventDeadLetter[]> {
    const raw = await this.#redis.lrange(this.#keys.callEventsDead(callId), 0, -1);
    return raw.flatMap((text) => {
      try {
        const parsed = CallEventDeadLetterSchema.safeParse(JSON.parse(text));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  }
}
