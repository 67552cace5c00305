import type { Redis } from 'ioredis';
import {
  CallEventDeadLetterSchema,
  StoredCallEventDeadLetterSchema,
  type CallEventDeadLetter,
  type CallEventJob,
  type StoredCallEventDeadLetter,
} from '@voicebridge/protocol';
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

  /** `job`: what was given up on, kept for a redelivery. */
  async add(callId: string, letter: CallEventDeadLetter, job?: CallEventJob): Promise<void> {
    const key = this.#keys.callEventsDead(callId);
    await this.#redis
      .multi()
      .rpush(key, JSON.stringify(StoredCallEventDeadLetterSchema.parse({ ...letter, job })))
      .ltrim(key, -MAX_DEAD_LETTERS, -1)
      .expire(key, this.#ttlSeconds)
      .exec();
  }

  /** Oldest first, without the jobs; an entry that does not parse (a newer writer's) is skipped. */
  async list(callId: string): Promise<CallEventDeadLetter[]> {
    const raw = await this.#redis.lrange(this.#keys.callEventsDead(callId), 0, -1);
    return parsedAll(raw).map((letter) => CallEventDeadLetterSchema.parse(letter));
  }

  /**
   * Takes the letters that kept their job off the list (for a redelivery: one that fails again
   * comes back as a new letter) and returns them oldest first; the others stay. One MULTI reads and
   * empties the list, so two operators redelivering at once do not both get a letter.
   */
  async take(callId: string): Promise<Array<StoredCallEventDeadLetter & { job: CallEventJob }>> {
    const key = this.#keys.callEventsDead(callId);
    const [[, raw] = []] = (await this.#redis.multi().lrange(key, 0, -1).del(key).exec()) ?? [];
    const letters = parsedAll((raw as string[] | undefined) ?? []);
    const kept = letters.filter((letter) => letter.job === undefined);
    if (kept.length > 0)
      await this.#redis
        .multi()
        .lpush(key, ...kept.reverse().map((letter) => JSON.stringify(letter)))
        .expire(key, this.#ttlSeconds)
        .exec();
    return letters.filter(
      (letter): letter is StoredCallEventDeadLetter & { job: CallEventJob } => letter.job !== undefined,
    );
  }
}

function parsedAll(raw: readonly string[]): StoredCallEventDeadLetter[] {
  return raw.flatMap((text) => {
    try {
      const parsed = StoredCallEventDeadLetterSchema.safeParse(JSON.parse(text));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}
