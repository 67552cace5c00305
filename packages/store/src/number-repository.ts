import type { Redis } from 'ioredis';
import { E164_PATTERN, NumberConfigSchema, StoredNumberConfigSchema, VoicebridgeError } from '@voicebridge/protocol';
import type { NumberConfig, NumberConfigDraft } from '@voicebridge/protocol';
import type { RedisKeys } from './redis-keys.ts';
import {
  toConfigIssues,
  VersionedConfigStore,
  type ConfigIssue,
  type VersionedConfigKind,
} from './versioned-config-store.ts';
import { describeIssues } from './schema-errors.ts';

export type { ConfigIssue } from './versioned-config-store.ts';

/**
 * What an operator supplies (v2, with the schema's defaults still to apply, e.g. a scripted agent's
 * `answers`); the repository owns `version`, `configVersion` and `updatedAtMs`.
 */
export type NumberConfigInput = Omit<NumberConfigDraft, 'version' | 'configVersion' | 'updatedAtMs' | 'enabled'> & {
  /** Default true. */
  enabled?: boolean;
};

export interface NumberUpdateOptions {
  /** How often to re-read and re-apply when another writer got in between. Default 5. */
  maxAttempts?: number;
}

const NUMBER_KIND = (keys: RedisKeys): VersionedConfigKind<NumberConfig, NumberConfigInput> => ({
  kind: 'number',
  idField: 'number',
  idPattern: E164_PATTERN,
  idOf: (value) => value.number,
  key: (number) => keys.number(number),
  indexKey: () => keys.numbersIndex(),
  // v1 values are read and upgraded (ADR 0001's one release); every write is v2.
  schema: StoredNumberConfigSchema,
  validate: (input, nowMs) => validateNumberConfigInput(input, nowMs, 0),
});

/**
 * Number configs: one JSON value per number plus an index set. Configuration, so no TTL.
 * Reads validate (a v1 value comes back as v2; it is rewritten as v2 at its next write); a stored
 * value that fails the schema is an error naming its key.
 */
export class NumberRepository {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #store: VersionedConfigStore<NumberConfig, NumberConfigInput>;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
    this.#store = new VersionedConfigStore(redis, NUMBER_KIND(keys));
  }

  /** Undefined when not configured, including any string that is not E.164 (it cannot be). */
  get(number: string): Promise<NumberConfig | undefined> {
    return this.#store.get(number);
  }

  /** Creates or replaces the whole config; configVersion becomes the stored one + 1. */
  put(input: NumberConfigInput): Promise<NumberConfig> {
    return this.#store.put(input);
  }

  /**
   * Read-modify-write of one number's config without lost updates: `change` gets the current config
   * (undefined when not configured) and returns the full new input; if another writer bumped
   * configVersion meanwhile, it is called again with the newer config. `change` may throw to abort.
   */
  update(
    number: string,
    change: (current: NumberConfig | undefined) => NumberConfigInput,
    options: NumberUpdateOptions = {},
  ): Promise<NumberConfig> {
    return this.#store.update(number, change, options.maxAttempts ?? 5);
  }

  /** All configured numbers, sorted by number. */
  list(): Promise<NumberConfig[]> {
    return this.#store.list();
  }

  /** True when the number was configured. */
  delete(number: string): Promise<boolean> {
    return this.#store.delete(number);
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
}

/**
 * Applies defaults and validates an operator's input. Throws VB_CONFIG_INVALID whose message starts
 * with the failing field's path (`greeting: Too big: ...`). Unknown properties are dropped.
 */
export function validateNumberConfigInput(
  input: NumberConfigInput,
  nowMs: number,
  configVersion: number,
): NumberConfig {
  const parsed = parseNumberConfigInput(input, nowMs, configVersion);
  if (!parsed.success) throw new VoicebridgeError('VB_CONFIG_INVALID', describeIssues(parsed.error.issues));
  return parsed.data;
}

/** What is wrong with an input, field by field (empty when valid), for callers that map fields to their own names. */
export function numberConfigInputIssues(input: NumberConfigInput): ConfigIssue[] {
  const parsed = parseNumberConfigInput(input, 0, 0);
  return parsed.success ? [] : toConfigIssues(parsed.error.issues);
}

function parseNumberConfigInput(input: NumberConfigInput, nowMs: number, configVersion: number) {
  return NumberConfigSchema.safeParse({
    ...input,
    enabled: input.enabled ?? true,
    version: 2,
    configVersion,
    updatedAtMs: nowMs,
  });
}
