import type { Redis } from 'ioredis';
import type { RedisKeys } from '@voicebridge/store';

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
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
