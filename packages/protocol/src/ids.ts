import { randomBytes } from 'node:crypto';

/** Our own call id: opaque, URL- and Redis-key-safe, sortable by creation time. */
export function newCallId(nowMs: number = Date.now()): string {
  return `c${nowMs.toString(36)}${randomBytes(6).toString('hex')}`;
}

/** What `newCallId` makes: `c`, the time in base 36, 12 hex digits. Anything else is no call of ours. */
export const CALL_ID_PATTERN = /^c[0-9a-z]{1,11}[0-9a-f]{12}$/;

/** E.164 as configured by operators: a plus, then 7 to 15 digits, no leading zero. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

/**
 * A signaling node's id (NODE_ID, node-id.ts): a Redis key segment (no glob characters, no spaces)
 * that also reads well in a log line: `127.0.0.1:5060@host-1`, `2001:db8::5_5060@host-1`, `eu-west-a`.
 */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
