import type { Job } from 'bullmq';

/**
 * The back-off type of call-event jobs: BullMQ's exponential schedule (EVENTS_BACKOFF_MS doubling,
 * up to 20% jitter taken off), except that a receiver's `Retry-After` on 429 or 503 (RFC 9110
 * §10.2.3, RFC 6585 §4) moves the next attempt to when it asked, if that is later, but never past
 * the schedule's longest pause (the one before the last attempt): a receiver cannot stretch an
 * event's life beyond what the operator configured, and the attempts still count.
 */
export const RECEIVER_BACKOFF = 'receiver';
const JITTER = 0.2;

/** The error a failed attempt throws: what the receiver asked for, if anything. */
export interface RetryAfterHint {
  readonly retryAfterMs?: number;
}

/**
 * `Retry-After` as delay-seconds or an HTTP-date in its preferred form (IMF-fixdate, RFC 9110
 * §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`); undefined when absent or anything else.
 */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  const value = header?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** BullMQ's `backoffStrategy` for `RECEIVER_BACKOFF` jobs; `attemptsMade` counts the one that just failed. */
export function receiverBackoff(
  attemptsMade: number,
  _type: string | undefined,
  error: Error | undefined,
  job: Pick<Job, 'opts'> | undefined,
  random: () => number = Math.random,
): number {
  const backoff = job?.opts.backoff;
  const baseMs = typeof backoff === 'object' ? (backoff.delay ?? 0) : (backoff ?? 0);
  const scheduled = Math.round(2 ** (attemptsMade - 1) * baseMs * (1 - JITTER * random()));
  const asked = (error as RetryAfterHint | undefined)?.retryAfterMs;
  if (asked === undefined || asked <= scheduled) return scheduled;
  const longestMs = 2 ** Math.max(0, (job?.opts.attempts ?? 1) - 2) * baseMs;
  return Math.max(scheduled, Math.min(asked, longestMs));
}
