import type { ChainableCommander, Redis } from 'ioredis';
import type { CallRecord } from '@voicebridge/protocol';
import type { RedisKeys } from './redis-keys.ts';

/** The fields a calls query can filter on, each backed by its own sorted set. */
export const CALL_INDEX_FIELDS = ['number', 'from', 'trunk', 'verdict', 'direction'] as const;
export type CallIndexField = (typeof CALL_INDEX_FIELDS)[number];

/**
 * A caller's URI and a bare number name the same caller: `sip:+15557654321@198.51.100.7;user=phone`
 * and `+15557654321` both become `+15557654321`. Anything without a user part is kept whole.
 */
export function callerOf(from: string): string {
  const match = /^(?:sips?|tel):([^@;?>]+)/i.exec(from.trim());
  return (match?.[1] ?? from.trim()).toLowerCase();
}

/** The value a record is indexed under for a field; undefined leaves it out of that index. */
export function indexValueOf(record: Partial<CallRecord>, field: CallIndexField): string | undefined {
  switch (field) {
    case 'number':
      return record.number;
    case 'from':
      return record.from === undefined ? undefined : callerOf(record.from);
    case 'trunk':
      return record.trunk;
    case 'verdict':
      return record.verdict?.reason;
    case 'direction':
      // Every call is inbound until the bridge places calls itself; records say so when it does.
      return record.direction ?? 'inbound';
  }
}

/**
 * Adds the record to the index of each field it has a value for, trims each such index by age (the
 * records below the cutoff have expired or are about to) and keeps the index itself alive as long
 * as its newest member. Part of the caller's MULTI, so a record and its index entries appear together.
 */
export function addToIndexes(
  tx: ChainableCommander,
  keys: RedisKeys,
  record: Partial<CallRecord> & { callId: string; invitedAtMs: number },
  fields: readonly CallIndexField[],
  cutoffMs: number,
  maxAgeMs: number,
): void {
  for (const field of fields) {
    const value = indexValueOf(record, field);
    if (value === undefined) continue;
    const key = keys.callsBy(field, value);
    tx.zadd(key, record.invitedAtMs, record.callId)
      .zremrangebyscore(key, '-inf', `(${cutoffMs}`)
      .pexpire(key, maxAgeMs);
  }
}

/** A position in a newest-first listing: the last call returned (its invite time and id). */
export interface CallCursor {
  invitedAtMs: number;
  callId: string;
}

export interface IndexPageOptions {
  /** Oldest invite time included (ms). */
  sinceMs: number;
  /** Newest invite time included (ms). */
  untilMs: number;
  /** Continue after this call (exclusive). */
  after?: CallCursor;
  /** How many ids to read at most. */
  count: number;
}

/**
 * Up to `count` call ids of one index, newest first, in the total order (invitedAtMs desc, callId
 * desc) that the cursor follows. Sorted-set ties are ordered by member, so reading from the cursor's
 * score and dropping the tied members at or above its id is exact; the extra read is bounded by how
 * many calls share that one millisecond.
 */
export async function readIndexPage(
  redis: Redis,
  key: string,
  options: IndexPageOptions,
): Promise<{ ids: string[]; scores: number[] }> {
  const top = options.after === undefined ? options.untilMs : Math.min(options.untilMs, options.after.invitedAtMs);
  if (top < options.sinceMs) return { ids: [], scores: [] };
  const tied = options.after === undefined ? 0 : await redis.zcount(key, top, top);
  const reply = await redis.zrange(
    key,
    String(top),
    String(options.sinceMs),
    'BYSCORE',
    'REV',
    'LIMIT',
    0,
    options.count + tied,
    'WITHSCORES',
  );
  const ids: string[] = [];
  const scores: number[] = [];
  for (let i = 0; i + 1 < reply.length && ids.length < options.count; i += 2) {
    const id = reply[i] as string;
    const score = Number(reply[i + 1]);
    const after = options.after;
    if (after !== undefined && score === after.invitedAtMs && id >= after.callId) continue;
    ids.push(id);
    scores.push(score);
  }
  return { ids, scores };
}
