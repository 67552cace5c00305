import { createHash } from 'node:crypto';

/**
 * The Twilio-shaped `callSid` of one of our calls (`CA` + 32 hex), derived from its call id so that
 * every agent that streams it and the Twilio-compatible REST route name it the same way.
 */
export function callSidOf(callId: string): string {
  return `CA${createHash('sha256').update(`call:${callId}`).digest('hex').slice(0, 32)}`;
}

export const CALL_SID_PATTERN = /^CA[0-9a-f]{32}$/;
