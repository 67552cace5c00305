import type { Redis } from 'ioredis';
import type { CallRecord, VoicebridgeError } from '@voicebridge/protocol';
import { callerOf, indexValueOf, readIndexPage, type CallCursor, type CallIndexField } from './call-index.ts';
import type { CallRecordRepository } from './call-record-repository.ts';
import type { RedisKeys } from './redis-keys.ts';

export interface CallFilter {
  number?: string | undefined;
  /** The caller: a number or a URI (compared by its user part, see `callerOf`). */
  from?: string | undefined;
  trunk?: string | undefined;
  verdict?: string | undefined;
  direction?: string | undefined;
  /** Only calls not ended yet. */
  live?: boolean | undefined;
}

export interface CallQuery extends CallFilter {
  /** Oldest invite time included (ms); default the start of the indexes' window. */
  sinceMs?: number | undefined;
  /** Newest invite time included (ms); default now and later. */
  untilMs?: number | undefined;
  after?: CallCursor | undefined;
  limit: number;
  /** Index entries looked at per page at most (default 1000): the bound on one request's work. */
  maxScan?: number | undefined;
  onCorrupt?: (error: VoicebridgeError) => void;
}

export interface CallPage {
  records: CallRecord[];
  /** Where the next page starts; absent when the index has nothing older in the window. */
  next?: CallCursor;
}

/** The most selective index first: a number or trunk narrows more than a verdict or a direction. */
const DRIVING_ORDER: readonly CallIndexField[] = ['number', 'from', 'trunk', 'verdict', 'direction'];
const CHUNK = 200;

/**
 * Newest-first pages of call records matching a filter, read from the sorted-set indexes (never a
 * SCAN): one index drives the walk and the other filters are checked on the records read. A page
 * stops at `limit` records or after `maxScan` index entries, whichever comes first, and returns
 * the cursor to go on from, so a filter that matches rarely costs several pages, not one long request.
 */
export async function queryCalls(
  redis: Redis,
  keys: RedisKeys,
  records: CallRecordRepository,
  query: CallQuery,
): Promise<CallPage> {
  const maxScan = query.maxScan ?? 1000;
  const indexKey = drivingIndex(keys, query);
  const sinceMs = Math.max(query.sinceMs ?? 0, records.oldestIndexedMs());
  const untilMs = query.untilMs ?? Number.MAX_SAFE_INTEGER;
  const out: CallRecord[] = [];
  let after = query.after;
  let scanned = 0;
  while (out.length < query.limit && scanned < maxScan) {
    const count = Math.min(CHUNK, maxScan - scanned);
    const page = await readIndexPage(redis, indexKey, { sinceMs, untilMs, after, count });
    const found = await records.getMany(page.ids, query.onCorrupt);
    const byId = new Map(found.filter((r) => r !== undefined).map((r) => [r.callId, r]));
    for (let i = 0; i < page.ids.length; i++) {
      const id = page.ids[i] as string;
      scanned++;
      after = { invitedAtMs: page.scores[i] as number, callId: id };
      const record = byId.get(id);
      if (record !== undefined && matches(record, query)) out.push(record);
      if (out.length === query.limit) break;
    }
    if (out.length < query.limit && page.ids.length < count) return { records: out };
  }
  return after === undefined ? { records: out } : { records: out, next: after };
}

function drivingIndex(keys: RedisKeys, query: CallQuery): string {
  for (const field of DRIVING_ORDER) {
    const value = wanted(query, field);
    if (value !== undefined) return keys.callsBy(field, value);
  }
  return query.live === true ? keys.liveCalls() : keys.recentCalls();
}

/** The value a filter asks for, in the form the index holds it. */
function wanted(filter: CallFilter, field: CallIndexField): string | undefined {
  const value = filter[field];
  return value === undefined || field !== 'from' ? value : callerOf(value);
}

export function matches(record: CallRecord, filter: CallFilter): boolean {
  if (filter.live === true && record.status === 'ended') return false;
  return DRIVING_ORDER.every((field) => {
    const value = wanted(filter, field);
    return value === undefined || indexValueOf(record, field) === value;
  });
}
