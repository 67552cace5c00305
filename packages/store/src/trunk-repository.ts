import type { Redis } from 'ioredis';
import { TRUNK_NAME_PATTERN, TrunkConfigSchema, VoicebridgeError } from '@voicebridge/protocol';
import type { TrunkConfig, TrunkRegister } from '@voicebridge/protocol';
import type { RedisKeys } from './redis-keys.ts';
import { describeIssues } from './schema-errors.ts';
import {
  toConfigIssues,
  VersionedConfigStore,
  type ConfigIssue,
  type VersionedConfigKind,
} from './versioned-config-store.ts';

type Defaulted = 'enabled' | 'sources' | 'numberFrom' | 'numberFormat' | 'trusted' | 'rtpLatching';

/** What an operator supplies; the repository owns `version`, `configVersion` and `updatedAtMs`. */
export type TrunkConfigInput = Omit<TrunkConfig, 'version' | 'configVersion' | 'updatedAtMs' | Defaulted | 'register'> &
  Partial<Pick<TrunkConfig, Defaulted>> & {
    /** `expires` defaults to 3600 s, `transport` to udp. */
    register?: Omit<TrunkRegister, 'expires' | 'transport'> & Partial<Pick<TrunkRegister, 'expires' | 'transport'>>;
  };

export const TRUNK_DEFAULTS = {
  enabled: true,
  sources: [] as string[],
  numberFrom: 'ruri',
  numberFormat: 'e164',
  trusted: false,
  rtpLatching: 'learn',
  registerExpires: 3600,
  registerTransport: 'udp',
} as const;

const TRUNK_KIND = (keys: RedisKeys): VersionedConfigKind<TrunkConfig, TrunkConfigInput> => ({
  kind: 'trunk',
  idField: 'name',
  idPattern: TRUNK_NAME_PATTERN,
  idOf: (value) => value.name,
  key: (name) => keys.trunk(name),
  indexKey: () => keys.trunksIndex(),
  schema: TrunkConfigSchema,
  validate: (input, nowMs) => validateTrunkConfigInput(input, nowMs, 0),
});

/**
 * Trunk configs: one JSON value per trunk plus an index set; configuration, so no TTL. Passwords
 * are stored as the operator gave them (digest needs them); print only `maskTrunkConfig(...)`.
 */
export class TrunkRepository {
  readonly #store: VersionedConfigStore<TrunkConfig, TrunkConfigInput>;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#store = new VersionedConfigStore(redis, TRUNK_KIND(keys));
  }

  /** Undefined when no such trunk, including any name that cannot be one. */
  get(name: string): Promise<TrunkConfig | undefined> {
    return this.#store.get(name);
  }

  /** Creates or replaces the whole config. */
  put(input: TrunkConfigInput): Promise<TrunkConfig> {
    return this.#store.put(input);
  }

  /**
   * Read-modify-write without lost updates: `change` gets the current config (undefined when new)
   * and returns the full new input; it is called again if another writer got in between.
   */
  update(
    name: string,
    change: (current: TrunkConfig | undefined) => TrunkConfigInput,
    maxAttempts = 5,
  ): Promise<TrunkConfig> {
    return this.#store.update(name, change, maxAttempts);
  }

  /**
   * All trunks, sorted by name. A stored value that fails the schema throws, naming its key, unless
   * `onCorrupt` is given: then it is skipped and reported there (signaling keeps the valid trunks).
   */
  list(onCorrupt?: (error: VoicebridgeError) => void): Promise<TrunkConfig[]> {
    return this.#store.list(onCorrupt);
  }

  /** True when the trunk existed. */
  delete(name: string): Promise<boolean> {
    return this.#store.delete(name);
  }
}

/** Applies defaults and validates; throws VB_CONFIG_INVALID starting with the failing field's path. */
export function validateTrunkConfigInput(input: TrunkConfigInput, nowMs: number, configVersion: number): TrunkConfig {
  const parsed = parseTrunkInput(input, nowMs, configVersion);
  if (!parsed.success) throw new VoicebridgeError('VB_CONFIG_INVALID', describeIssues(parsed.error.issues));
  return parsed.data;
}

/** What is wrong with an input, field by field (empty when valid); never quotes a password. */
export function trunkConfigInputIssues(input: TrunkConfigInput): ConfigIssue[] {
  const parsed = parseTrunkInput(input, 0, 0);
  return parsed.success ? [] : toConfigIssues(parsed.error.issues);
}

function parseTrunkInput(input: TrunkConfigInput, nowMs: number, configVersion: number) {
  return TrunkConfigSchema.safeParse({
    ...input,
    enabled: input.enabled ?? TRUNK_DEFAULTS.enabled,
    sources: input.sources ?? TRUNK_DEFAULTS.sources,
    numberFrom: input.numberFrom ?? TRUNK_DEFAULTS.numberFrom,
    numberFormat: input.numberFormat ?? TRUNK_DEFAULTS.numberFormat,
    trusted: input.trusted ?? TRUNK_DEFAULTS.trusted,
    rtpLatching: input.rtpLatching ?? TRUNK_DEFAULTS.rtpLatching,
    ...(input.register && {
      register: {
        ...input.register,
        expires: input.register.expires ?? TRUNK_DEFAULTS.registerExpires,
        transport: input.register.transport ?? TRUNK_DEFAULTS.registerTransport,
      },
    }),
    version: 1,
    configVersion,
    updatedAtMs: nowMs,
  });
}
