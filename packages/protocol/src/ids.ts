import { randomBytes } from 'node:crypto';

/** Our own call id: opaque, URL- and Redis-key-safe, sortable by creation time. */
export function newCallId(nowMs: number = Date.now()): string {
  return `c${nowMs.toString(36)}${randomBytes(6).toString('hex')}`;
}

/** E.164 as configured by operators: a plus, then 7 to 15 digits, no leading zero. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;
