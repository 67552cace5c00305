import {
  BridgeConfigSchema,
  DEFAULT_AGENT_SECRET_ENV,
  parseCidr,
  SecretEnvAllowList,
  secretEnvListProblem,
} from '@voicebridge/protocol';
import { isValidKeyPrefix } from '@voicebridge/store';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_KEY_PREFIX = 'vb';

export interface CliEnv {
  redisUrl: string;
  keyPrefix: string;
  /** AGENT_SECRET_ENV: `numbers set` refuses key variables the agents would refuse. */
  secretEnv: SecretEnvAllowList;
  /** OUTBOUND_DENY_CIDRS, as written. */
  denyCidrs: string;
  /** EVENTS_MAX_ATTEMPTS and EVENTS_BACKOFF_MS: a re-delivered event gets the bridge's schedule again. */
  eventsMaxAttempts: number;
  eventsBackoffMs: number;
  /** CALL_RECORD_TTL_S: how long an event that fails again stays on the call's dead-letter list. */
  callRecordTtlS: number;
}

/** A bad environment variable: exit status 2, the message names it. */
export class EnvError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`invalid ${variable}: ${message}`);
    this.name = 'EnvError';
    this.variable = variable;
  }
}

/** Reads and validates the variables the CLI uses. Set-but-empty counts as invalid, not as unset. */
export function readCliEnv(env: Readonly<Record<string, string | undefined>>): CliEnv {
  const redisUrl = env['REDIS_URL'] ?? DEFAULT_REDIS_URL;
  checkRedisUrl(redisUrl);
  const keyPrefix = env['REDIS_KEY_PREFIX'] ?? DEFAULT_KEY_PREFIX;
  if (!isValidKeyPrefix(keyPrefix)) {
    throw new EnvError('REDIS_KEY_PREFIX', `${JSON.stringify(keyPrefix)}: must be 1 to 64 of letters, digits, _ . : -`);
  }
  const secretText = env['AGENT_SECRET_ENV'] ?? DEFAULT_AGENT_SECRET_ENV;
  const secretProblem = secretEnvListProblem(secretText);
  if (secretProblem !== undefined) throw new EnvError('AGENT_SECRET_ENV', secretProblem);
  const denyCidrs = (env['OUTBOUND_DENY_CIDRS'] ?? 'none').trim();
  if (denyCidrs !== 'none' && !denyCidrs.split(',').every((c) => parseCidr(c.trim()) !== undefined))
    throw new EnvError('OUTBOUND_DENY_CIDRS', 'must be none or a comma-separated list of CIDRs like 10.0.0.0/8');
  return {
    redisUrl,
    keyPrefix,
    secretEnv: SecretEnvAllowList.parse(secretText),
    denyCidrs,
    eventsMaxAttempts: bridgeKey(env, 'EVENTS_MAX_ATTEMPTS'),
    eventsBackoffMs: bridgeKey(env, 'EVENTS_BACKOFF_MS'),
    callRecordTtlS: bridgeKey(env, 'CALL_RECORD_TTL_S'),
  };
}

/** A key the bridge reads too, checked by the bridge's own schema so both accept the same values. */
function bridgeKey(
  env: Readonly<Record<string, string | undefined>>,
  name: 'EVENTS_MAX_ATTEMPTS' | 'EVENTS_BACKOFF_MS' | 'CALL_RECORD_TTL_S',
): number {
  const parsed = BridgeConfigSchema.shape[name].safeParse(env[name]);
  if (!parsed.success) throw new EnvError(name, parsed.error.issues[0]?.message ?? 'not valid');
  return parsed.data;
}

function checkRedisUrl(raw: string): void {
  const expected = 'must be redis://[[user]:password@]host[:port][/db] or rediss://...';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EnvError('REDIS_URL', `not a URL; ${expected}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new EnvError('REDIS_URL', `scheme ${JSON.stringify(url.protocol)}; ${expected}`);
  }
  if (url.hostname === '') throw new EnvError('REDIS_URL', `no host; ${expected}`);
  if (!/^(\/([0-9]{1,5})?)?$/.test(url.pathname)) {
    throw new EnvError('REDIS_URL', `path ${JSON.stringify(url.pathname)} is not a database number; ${expected}`);
  }
}
