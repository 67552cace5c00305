import type { Redis } from 'ioredis';
import { ConversationStateSchema, VoicebridgeError, type ConversationState } from '@voicebridge/protocol';
import type { RedisKeys } from './redis-keys.ts';
import { LuaScript } from './lua-script.ts';
import { describeIssues } from './schema-errors.ts';

const ONE_DAY_S = 24 * 3600;

/**
 * SET unless a newer owner holds the call (the owner key is above the writer's epoch). A missing or
 * lower owner key (expired, or a Redis that restarted without its data) is put back to the writer's
 * epoch, so the call keeps its fence. KEYS: state key, owner key; ARGV: epoch, JSON, ttlSeconds.
 * Returns 1 when written, 0 when fenced.
 */
const SAVE_SCRIPT = new LuaScript(`
local owner = tonumber(redis.call('GET', KEYS[2]) or '0')
local epoch = tonumber(ARGV[1])
if owner > epoch then return 0 end
if owner < epoch then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3]) end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`);

/**
 * Conversation state of live calls (`<prefix>:call:<callId>:conversation`, JSON, TTL): written by the
 * owning agent as each turn completes, read by the next owner after a takeover, deleted when the call
 * ends. Writes are fenced by the owner epoch (see CallOwnership).
 */
export class ConversationRepository {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #ttlSeconds: number;

  constructor(redis: Redis, keys: RedisKeys, options: { ttlSeconds?: number } = {}) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlSeconds = options.ttlSeconds ?? ONE_DAY_S;
  }

  /** Resolves true when written, false when a newer owner than `state.epoch` holds the call. */
  async save(state: ConversationState): Promise<boolean> {
    const parsed = ConversationStateSchema.safeParse(state);
    if (!parsed.success)
      throw new VoicebridgeError(
        'VB_BAD_MESSAGE',
        `invalid conversation state: ${describeIssues(parsed.error.issues)}`,
      );
    const keys = [this.#keys.callConversation(state.callId), this.#keys.callOwner(state.callId)];
    return (
      (await SAVE_SCRIPT.run(this.#redis, keys, [state.epoch, JSON.stringify(parsed.data), this.#ttlSeconds])) === 1
    );
  }

  /** The last saved state, or undefined (none yet, expired, or unreadable: a takeover then starts afresh). */
  async load(callId: string): Promise<ConversationState | undefined> {
    const json = await this.#redis.get(this.#keys.callConversation(callId));
    if (json === null) return undefined;
    try {
      const parsed = ConversationStateSchema.safeParse(JSON.parse(json));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(callId: string): Promise<void> {
    await this.#redis.del(this.#keys.callConversation(callId));
  }
}
