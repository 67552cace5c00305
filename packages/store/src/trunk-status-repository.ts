import type { Redis } from 'ioredis';
import { RegistrationStatusSchema, type RegistrationStatus } from '@voicebridge/protocol';
import type { RedisKeys } from './redis-keys.ts';

/** How long a status outlives its last write: a stopped signaling process leaves no stale "registered". */
const STATUS_TTL_S = 3600;

/** Outbound registration status per trunk (written by signaling, read by `trunks list`). */
export class TrunkStatusRepository {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async set(name: string, status: RegistrationStatus, ttlSeconds = STATUS_TTL_S): Promise<void> {
    await this.#redis.set(
      this.#keys.trunkStatus(name),
      JSON.stringify(RegistrationStatusSchema.parse(status)),
      'EX',
      ttlSeconds,
    );
  }

  /** Undefined when none was written (no `register` block, signaling not running) or it is unreadable. */
  async get(name: string): Promise<RegistrationStatus | undefined> {
    const text = await this.#redis.get(this.#keys.trunkStatus(name));
    if (text === null) return undefined;
    try {
      const parsed = RegistrationStatusSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async remove(name: string): Promise<void> {
    await this.#redis.del(this.#keys.trunkStatus(name));
  }
}
