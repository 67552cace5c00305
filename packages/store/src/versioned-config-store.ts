import type { Redis } from 'ioredis';
import { VoicebridgeError } from '@voicebridge/protocol';
import { LuaScript } from './lua-script.ts';
import { describeIssues, type SchemaIssue } from './schema-errors.ts';

/**
 * Writes the config and bumps configVersion in one step. ARGV[1] is the config JSON without
 * configVersion; the script splices `"configVersion":N` in rather than re-encoding with cjson, which
 * would turn `"answers":[]` into `{}`. An unreadable stored value counts as version 0 so that a full
 * `put` can repair it. ARGV[3], when not empty, is the configVersion the caller read: a mismatch
 * writes nothing and returns {0, current}. KEYS: config key, index set; ARGV[2]: the id to index.
 */
const PUT_SCRIPT = new LuaScript(`
local current = redis.call('GET', KEYS[1])
local previous = 0
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and type(decoded.configVersion) == 'number' then
    previous = decoded.configVersion
  end
end
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= previous then
  return {0, previous}
end
local nextVersion = previous + 1
local body = string.sub(ARGV[1], 1, -2) .. ',"configVersion":' .. string.format('%d', nextVersion) .. '}'
redis.call('SET', KEYS[1], body)
redis.call('SADD', KEYS[2], ARGV[2])
return {1, nextVersion}
`);

export interface ConfigIssue {
  /** Path into the input, e.g. `['answers', 0, 'keyword']`; empty for the whole value. */
  path: (string | number)[];
  message: string;
}

/** Schema issues as field paths callers can map to their own names. */
export function toConfigIssues(issues: readonly SchemaIssue[]): ConfigIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: issue.message,
  }));
}

type SafeParse<T> = { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };

/** What differs between one kind of versioned config and another. */
export interface VersionedConfigKind<Config extends { configVersion: number }, Input> {
  /** Names the kind in errors: `trunk`, `number`. */
  kind: string;
  /** The field that identifies a config (`name`, `number`), and its form. */
  idField: string;
  idPattern: RegExp;
  idOf(value: Config | Input): string;
  key(id: string): string;
  indexKey(): string;
  schema: { safeParse(value: unknown): SafeParse<Config> };
  /** Applies defaults and validates, with configVersion 0 (the script sets the real one). */
  validate(input: Input, nowMs: number): Config;
}

/**
 * Operator configuration kept as one JSON value per id plus an index set, no TTL, each write bumping
 * `configVersion` atomically so read-modify-write can compare-and-set. Reads validate; a stored
 * value that fails the schema is an error naming its key.
 */
export class VersionedConfigStore<Config extends { configVersion: number }, Input> {
  readonly #redis: Redis;
  readonly #kind: VersionedConfigKind<Config, Input>;

  constructor(redis: Redis, kind: VersionedConfigKind<Config, Input>) {
    this.#redis = redis;
    this.#kind = kind;
  }

  /** Undefined when not stored, including any id that cannot be one. */
  async get(id: string): Promise<Config | undefined> {
    if (!this.#kind.idPattern.test(id)) return undefined;
    const key = this.#kind.key(id);
    const raw = await this.#redis.get(key);
    return raw === null ? undefined : this.#parseStored(key, raw, id);
  }

  /** Creates or replaces the whole config; configVersion becomes the stored one + 1. */
  async put(input: Input): Promise<Config> {
    const written = await this.#write(input, undefined);
    if (written === undefined) throw new Error('unreachable: unconditional put reported a conflict');
    return written;
  }

  /**
   * Read-modify-write without lost updates: `change` gets the current config (undefined when new)
   * and returns the full new input; if another writer bumped configVersion meanwhile, it is called
   * again with the newer config. `change` may throw to abort.
   */
  async update(id: string, change: (current: Config | undefined) => Input, maxAttempts: number): Promise<Config> {
    const { kind, idField } = this.#kind;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.get(id);
      const input = change(current);
      const returned = this.#kind.idOf(input);
      if (returned !== id)
        throw new VoicebridgeError('VB_CONFIG_INVALID', `${idField}: update of ${id} returned ${returned}`);
      const written = await this.#write(input, current?.configVersion ?? 0);
      if (written !== undefined) return written;
    }
    throw new Error(`${kind} ${id} was changed concurrently ${maxAttempts} times; try again`);
  }

  /**
   * All configs, sorted by id. A stored value that fails the schema throws, naming its key, unless
   * `onCorrupt` is given: then it is skipped and reported there.
   */
  async list(onCorrupt?: (error: VoicebridgeError) => void): Promise<Config[]> {
    const ids = (await this.#redis.smembers(this.#kind.indexKey()))
      .filter((id) => this.#kind.idPattern.test(id))
      .sort();
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.#kind.key(id));
    const values = await this.#redis.mget(...keys);
    const configs: Config[] = [];
    values.forEach((raw, i) => {
      // null: deleted between SMEMBERS and MGET.
      if (raw === null) return;
      try {
        configs.push(this.#parseStored(keys[i] as string, raw, ids[i] as string));
      } catch (error) {
        if (onCorrupt === undefined || !(error instanceof VoicebridgeError)) throw error;
        onCorrupt(error);
      }
    });
    return configs;
  }

  /** True when the config existed. */
  async delete(id: string): Promise<boolean> {
    if (!this.#kind.idPattern.test(id)) return false;
    const result = await this.#redis.multi().del(this.#kind.key(id)).srem(this.#kind.indexKey(), id).exec();
    const [error, deleted] = result?.[0] ?? [new Error('transaction aborted'), 0];
    if (error) throw error;
    return deleted === 1;
  }

  async #write(input: Input, expectedConfigVersion: number | undefined): Promise<Config | undefined> {
    const config = this.#kind.validate(input, Date.now());
    const id = this.#kind.idOf(config);
    const { configVersion: _placeholder, ...withoutVersion } = config;
    const reply = await PUT_SCRIPT.run(
      this.#redis,
      [this.#kind.key(id), this.#kind.indexKey()],
      [JSON.stringify(withoutVersion), id, expectedConfigVersion === undefined ? '' : expectedConfigVersion],
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw new Error(`unexpected reply from ${this.#kind.kind} put script: ${JSON.stringify(reply)}`);
    }
    return reply[0] === 1 ? { ...config, configVersion: reply[1] } : undefined;
  }

  #parseStored(key: string, raw: string, expectedId: string): Config {
    const { kind, idField } = this.#kind;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new VoicebridgeError('VB_CONFIG_INVALID', `corrupt ${kind} config at key ${key}: not JSON`, {
        cause: error,
      });
    }
    const parsed = this.#kind.schema.safeParse(json);
    if (!parsed.success) {
      throw new VoicebridgeError(
        'VB_CONFIG_INVALID',
        `corrupt ${kind} config at key ${key}: ${describeIssues(parsed.error.issues)}`,
      );
    }
    const stored = this.#kind.idOf(parsed.data);
    if (stored !== expectedId) {
      throw new VoicebridgeError(
        'VB_CONFIG_INVALID',
        `corrupt ${kind} config at key ${key}: ${idField}: holds ${stored}`,
      );
    }
    return parsed.data;
  }
}
