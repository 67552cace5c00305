import type { Redis } from 'ioredis';
import type { RedisKeys } from '@voicebridge/store';
import type { Resolver } from '@voicebridge/outbound';
import type { SecretEnvAllowList } from '@voicebridge/protocol';

export interface Output {
  write(chunk: string): unknown;
}

/** Everything a command needs, passed in: the CLI reads no environment and owns no connection. */
export interface CliContext {
  /** Borrowed: runCli never closes it. */
  redis: Redis;
  keys: RedisKeys;
  stdout: Output;
  stderr: Output;
  /** Clock for "live" durations; default Date.now. */
  nowMs?: () => number;
  /** AGENT_SECRET_ENV and OUTBOUND_DENY_CIDRS for `numbers set`; default the documented defaults. */
  outbound?: OutboundRules;
  /** EVENTS_MAX_ATTEMPTS, EVENTS_BACKOFF_MS and CALL_RECORD_TTL_S for `calls events --redeliver`; default the bridge's defaults. */
  events?: { maxAttempts: number; backoffMs: number; deadLetterTtlS: number };
  /** Where `voicebridge start` with this environment listens for SIP; read only when asked. */
  sipTarget?: () => { host: string; port: number };
}

/**
 * What `numbers set` checks a number's key variables and URLs against: the same AGENT_SECRET_ENV
 * and OUTBOUND_DENY_CIDRS the agent workers get (the CLI reads them from its own environment), so a
 * number the agents would refuse is refused when it is set. The agents check again at claim and at
 * connect: this is the early, clear error, not the guard.
 */
export interface OutboundRules {
  secretEnv: SecretEnvAllowList;
  /** OUTBOUND_DENY_CIDRS as written (`none` or a CIDR list). */
  denyCidrs: string;
  /** Name resolution for the URLs given; the system's by default. */
  resolve?: Resolver;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
