import type { Redis } from 'ioredis';
import { E164_PATTERN, NumberConfigSchema, VoicebridgeError } from '@voicebridge/protocol';
import type { KeywordAnswer, NumberConfig } from '@voicebridge/protocol';
import type { RedisKeys } from './redis-keys.ts';
import { LuaScript } from './lua-script.ts';
import { describeIssues } from './schema-errors.ts';

/** What an operator supplies; the repository owns `version`, `configVersion` and `updatedAtMs`. */
export type NumberConfigInput = Omit<
  NumberConfig,
  'version' | 'configVersion' | 'updatedAtMs' | 'answers' | 'enabled'
> & {
  /** Default []. */
  answers?: KeywordAnswer[];
  /** Default true. */
  enabled?: boolean;
};

export interface NumberUpdateOptions {
  /** How often to re-read and re-apply when another writer got in between. Default 5. */
  maxAttempts?: number;
}

/**
 * Writes the config and bumps configVersion in one step. ARGV[1] is the config JSON without
 * configVersion; the script splices `"configVersion":N` in rather than re-encoding with cjson, which
 * would turn `"answers":[]` into `{}`. An unreadable stored value counts as version 0 so that a full
 * `put` can repair it. ARGV[3], when not empty, is the configVersion the caller read: a mismatch
 * writes nothing and returns {0, current}.
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

/**
 * Number configs: one JSON value per number plus an index set. Configuration, so no TTL.
 * Reads validate; a stored value that fails NumberConfigSchema is an error naming its key.
 */
export class NumberRepository {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Undefined when not configured, including any string that is not E.164 (it cannot be). */
  async get(number: string): Promise<NumberConfig | undefined> {
    if (!E164_PATTERN.test(number)) return undefined;
    const key = this.#keys.number(number);
    const raw = await this.#redis.get(key);
    return raw === null ? undefined : parseStoredNumberConfig(key, raw, number);
  }

  /** Creates or replaces the whole config; configVersion becomes the stored one + 1. */
  async put(input: NumberConfigInput): Promise<NumberConfig> {
    const written = await this.#write(input, undefined);
    if (written === undefined) throw new Error('unreachable: unconditional put reported a conflict');
    return written;
  }

  /**
   * Read-modify-write of one number's config without lost updates: `change` gets the current config
   * (undefined when not configured) and returns the full new input; if another writer bumped
   * configVersion meanwhile, it is called again with the newer config. `change` may throw to abort.
   */
  async update(
    number: string,
    change: (current: NumberConfig | undefined) => NumberConfigInput,
    options: NumberUpdateOptions = {},
  ): Promise<NumberConfig> {
    const maxAttempts = options.maxAttempts ?? 5;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.get(number);
      const input = change(current);
      if (input.number !== number) {
        throw new VoicebridgeError('VB_CONFIG_INVALID', `number: update of ${number} returned ${input.number}`);
      }
      const written = await this.#write(input, current?.configVersion ?? 0);
      if (written !== undefined) return written;
    }
    throw new Error(`number ${number} was changed concurrently ${maxAttempts} times; try again`);
  }

  /** All configured numbers, sorted by number. */
  async list(): Promise<NumberConfig[]> {
    const numbers = (await this.#redis.smembers(this.#keys.numbersIndex()))
      .filter((n) => E164_PATTERN.test(n))
      .sort();
    if (numbers.length === 0) return [];
    const keys = numbers.map((n) => this.#keys.number(n));
    const values = await this.#redis.mget(...keys);
    const configs: NumberConfig[] = [];
    values.forEach((raw, i) => {
      // null: deleted between SMEMBERS and MGET.
      if (raw !== null) configs.push(parseStoredNumberConfig(keys[i] as string, raw, numbers[i] as string));
    });
    return configs;
  }

  /** True when the number was configured. */
  async delete(number: string): Promise<boolean> {
    if (!E164_PATTERN.test(number)) return false;
    const result = await this.#redis
      .multi()
      .del(this.#keys.number(number))
      .srem(this.#keys.numbersIndex(), number)
      .exec();
    const [delError, deleted] = result?.[0] ?? [new Error('transaction aborted'), 0];
    if (delError) throw delError;
    return deleted === 1;
  }

  /**
   * Seeds configs (SET NX per number): a number already configured is left exactly as it is, so an
   * operator's edits survive restarts. All defaults are validated before any is written.
   * Returns the configs that were written now.
   */
  async ensureDefaults(defaults: NumberConfigInput[]): Promise<NumberConfig[]> {
    const nowMs = Date.now();
    const candidates = defaults.map((input) => validateNumberConfigInput(input, nowMs, 1));
    const written: NumberConfig[] = [];
    for (const config of candidates) {
      const result = await this.#redis
        .multi()
        .set(this.#keys.number(config.number), JSON.stringify(config), 'NX')
        .sadd(this.#keys.numbersIndex(), config.number)
        .exec();
      const [setError, reply] = result?.[0] ?? [new Error('transaction aborted'), null];
      if (setError) throw setError;
      if (reply === 'OK') written.push(config);
    }
    return written;
  }

  async #write(input: NumberConfigInput, expectedConfigVersion: number | undefined): Promise<NumberConfig | undefined> {
    const config = validateNumberConfigInput(input, Date.now(), 0);
    const { configVersion: _placeholder, ...withoutVersion } = config;
    const reply = await PUT_SCRIPT.run(
      this.#redis,
      [this.#keys.number(config.number), this.#keys.numbersIndex()],
      [JSON.stringify(withoutVersion), config.number, expectedConfigVersion === undefined ? '' : expectedConfigVersion],
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw new Error(`unexpected reply from number put script: ${JSON.stringify(reply)}`);
    }
    return reply[0] === 1 ? { ...config, configVersion: reply[1] } : undefined;
  }
}

/**
 * Applies defaults and validates an operator's input. Throws VB_CONFIG_INVALID whose message starts
 * with the failing field's path (`greeting: Too big: ...`). Unknown properties are dropped.
 */
export function validateNumberConfigInput(input: NumberConfigInput, nowMs: number, configVersion: number): NumberConfig {
  const parsed = parseNumberConfigInput(input, nowMs, configVersion);
  if (!parsed.success) throw new VoicebridgeError('VB_CONFIG_INVALID', describeIssues(parsed.error.issues));
  return parsed.data;
}

export interface ConfigIssue {
  /** Path into NumberConfigInput, e.g. `['answers', 0, 'keyword']`; empty for the whole value. */
  path: (string | number)[];
  message: string;
}

/** What is wrong with an input, field by field (empty when valid), for callers that map fields to their own names. */
export function numberConfigInputIssues(input: NumberConfigInput): ConfigIssue[] {
  const parsed = parseNumberConfigInput(input, 0, 0);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: issue.message,
  }));
}

function parseNumberConfigInput(input: NumberConfigInput, nowMs: number, configVersion: number) {
  return NumberConfigSchema.safeParse({
    ...input,
    answers: input.answers ?? [],
    enabled: input.enabled ?? true,
    version: 1,
    configVersion,
    updatedAtMs: nowMs,
  });
}

function parseStoredNumberConfig(key: string, raw: string, expectedNumber: string): NumberConfig {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new VoicebridgeError('VB_CONFIG_INVALID', `corrupt number config at key ${key}: not JSON`, { cause: error });
  }
  const parsed = NumberConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new VoicebridgeError(
      'VB_CONFIG_INVALID',
      `corrupt number config at key ${key}: ${describeIssues(parsed.error.issues)}`,
    );
  }
  if (parsed.data.number !== expectedNumber) {
    throw new VoicebridgeError(
      'VB_CONFIG_INVALID',
      `corrupt number config at key ${key}: number: holds ${parsed.data.number}`,
    );
  }
  return parsed.data;
}
