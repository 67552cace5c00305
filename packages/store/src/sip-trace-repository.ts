import type { Redis } from 'ioredis';
import { SIP_TRACE_MAX_MESSAGES, SipTraceEntrySchema, type SipTraceEntry } from '@voicebridge/protocol';
import type { RedisKeys } from './redis-keys.ts';

/**
 * A call's SIP messages: a list beside its record, with the record's TTL (re-applied on each append)
 * and at most SIP_TRACE_MAX_MESSAGES entries (the first ones: LTRIM keeps the head).
 */
export class SipTraceRepository {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #ttlSeconds: number;

  constructor(redis: Redis, keys: RedisKeys, options: { ttlSeconds?: number } = {}) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
  }

  async append(callId: string, entries: readonly SipTraceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const key = this.#keys.callSipTrace(callId);
    const result = await this.#redis
      .multi()
      .rpush(key, ...entries.map((e) => JSON.stringify(e)))
      .ltrim(key, 0, SIP_TRACE_MAX_MESSAGES - 1)
      .expire(key, this.#ttlSeconds)
      .exec();
    const failed = result?.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
  }

  /** The messages in the order they were sent and received; entries that fail the schema are skipped. */
  async list(callId: string): Promise<SipTraceEntry[]> {
    const raw = await this.#redis.lrange(this.#keys.callSipTrace(callId), 0, SIP_TRACE_MAX_MESSAGES - 1);
    const out: SipTraceEntry[] = [];
    for (const line of raw) {
      const parsed = SipTraceEntrySchema.safeParse(parseJson(line));
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
