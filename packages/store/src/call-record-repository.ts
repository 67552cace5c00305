import type { Redis } from 'ioredis';
import { CallRecordSchema, TranscriptEntrySchema, VoicebridgeError } from '@voicebridge/protocol';
import type { CallRecord, TranscriptEntry } from '@voicebridge/protocol';
import { isKeySafeCallId } from './redis-keys.ts';
import type { RedisKeys } from './redis-keys.ts';
import { LuaScript } from './lua-script.ts';
import { decodeCallRecord, encodeRecordFields } from './call-record-codec.ts';
import { describeIssues } from './schema-errors.ts';
import { addToIndexes, CALL_INDEX_FIELDS } from './call-index.ts';

const SEVEN_DAYS_S = 7 * 24 * 3600;

export interface CallRecordRepositoryOptions {
  /** TTL of every per-call key, re-applied on each write. Default 7 days. */
  ttlSeconds?: number;
  /** Calls invited longer ago than this leave the recent and live indexes. Default 7 days. */
  recentMaxAgeMs?: number;
  /** The clock the age windows are measured on (ms since the epoch). Default `Date.now`. */
  nowMs?: () => number;
}

export type CallRecordPatch = Partial<Omit<CallRecord, 'callId' | 'version' | 'transcript'>>;

export interface ListOptions {
  /**
   * Called with the error for a record that fails validation, which is then skipped. Without it a
   * corrupt record makes the whole list call throw.
   */
  onCorrupt?: (error: VoicebridgeError) => void;
}

const PatchSchema = CallRecordSchema.omit({ callId: true, version: true, transcript: true }).partial().strict();

/**
 * HSET only when the record exists, so a late or stray update cannot leave a partial record behind,
 * and (re)apply the TTL in the same step; an ended call leaves the live index and its node's.
 * ARGV: ttlSeconds, callId, ended ('1'|'0'), the node keys' start (`vb:node:`), field, value...
 * (The node's index key is built here from the stored nodeId: one Redis, no cluster slots to declare.)
 */
const UPDATE_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[3], ARGV[2])
  local node = redis.call('HGET', KEYS[1], 'nodeId')
  if node then redis.call('ZREM', ARGV[4] .. cjson.decode(node) .. ':calls:live', ARGV[2]) end
end
return 1
`);

const PAGE_SIZE = 200;

/**
 * Call records: a hash per call (one JSON-encoded field per CallRecord property), the transcript as a
 * list, a SIP Call-ID → callId pointer, and two indexes scored by invite time (recent, live).
 * Every per-call key gets its TTL in the same transaction that writes it. The indexes carry no
 * per-member TTL: they are trimmed by age on create, and members whose record expired are skipped.
 */
export class CallRecordRepository {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #ttlSeconds: number;
  readonly #recentMaxAgeMs: number;
  readonly #nowMs: () => number;

  constructor(redis: Redis, keys: RedisKeys, options: CallRecordRepositoryOptions = {}) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlSeconds = positiveInteger('ttlSeconds', options.ttlSeconds ?? SEVEN_DAYS_S);
    this.#recentMaxAgeMs = positiveInteger('recentMaxAgeMs', options.recentMaxAgeMs ?? SEVEN_DAYS_S * 1000);
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /**
   * Writes a new record, replacing any hash under the same callId. `record.transcript` entries are
   * appended to the transcript list (normally empty at creation).
   */
  async create(record: CallRecord): Promise<void> {
    const parsed = CallRecordSchema.safeParse(record);
    if (!parsed.success) {
      throw new VoicebridgeError('VB_BAD_MESSAGE', `invalid call record: ${describeIssues(parsed.error.issues)}`);
    }
    const r = parsed.data;
    const hashKey = this.#keys.call(r.callId);
    const transcriptKey = this.#keys.callTranscript(r.callId);
    const cutoff = `(${this.#nowMs() - this.#recentMaxAgeMs}`;
    const tx = this.#redis
      .multi()
      .del(hashKey)
      .hset(hashKey, ...encodeRecordFields(r))
      .expire(hashKey, this.#ttlSeconds);
    if (r.transcript.length > 0) tx.rpush(transcriptKey, ...r.transcript.map((e) => JSON.stringify(e)));
    tx.expire(transcriptKey, this.#ttlSeconds)
      .set(this.#keys.callBySipCallId(r.sipCallId), r.callId, 'EX', this.#ttlSeconds)
      .zadd(this.#keys.recentCalls(), r.invitedAtMs, r.callId)
      .zremrangebyscore(this.#keys.recentCalls(), '-inf', cutoff)
      .pexpire(this.#keys.recentCalls(), this.#recentMaxAgeMs);
    const liveIndexes = [
      this.#keys.liveCalls(),
      ...(r.nodeId === undefined ? [] : [this.#keys.nodeLiveCalls(r.nodeId)]),
    ];
    for (const index of liveIndexes) {
      if (r.status === 'ended') tx.zrem(index, r.callId);
      else tx.zadd(index, r.invitedAtMs, r.callId);
      tx.zremrangebyscore(index, '-inf', cutoff).pexpire(index, this.#recentMaxAgeMs);
    }
    addToIndexes(tx, this.#keys, r, CALL_INDEX_FIELDS, this.#nowMs() - this.#recentMaxAgeMs, this.#recentMaxAgeMs);
    await execOrThrow(tx);
  }

  /**
   * Sets the given fields in one HSET and refreshes the TTL. A property whose value is undefined is
   * skipped (not removed): fields of a call record are only ever set. Throws VB_CALL_NOT_FOUND when
   * the record does not exist (never created, or expired).
   */
  async update(callId: string, patch: CallRecordPatch): Promise<void> {
    const parsed = PatchSchema.safeParse(patch);
    if (!parsed.success) {
      throw new VoicebridgeError('VB_BAD_MESSAGE', `invalid call record patch: ${describeIssues(parsed.error.issues)}`);
    }
    const fields = encodeRecordFields(parsed.data);
    if (fields.length === 0) return;
    const reply = await UPDATE_SCRIPT.run(
      this.#redis,
      [this.#keys.call(callId), this.#keys.callTranscript(callId), this.#keys.liveCalls()],
      [this.#ttlSeconds, callId, parsed.data.status === 'ended' ? '1' : '0', `${this.#keys.prefix}:node:`, ...fields],
    );
    if (reply !== 1)
      throw new VoicebridgeError('VB_CALL_NOT_FOUND', `call ${callId} not found (never created, or expired)`);
    // The verdict is known only at the end: the call joins its verdict's index then.
    if (parsed.data.verdict !== undefined) await this.#indexVerdict(callId, parsed.data.verdict);
  }

  async #indexVerdict(callId: string, verdict: NonNullable<CallRecordPatch['verdict']>): Promise<void> {
    const raw = await this.#redis.hget(this.#keys.call(callId), 'invitedAtMs');
    const invitedAtMs = raw === null ? NaN : Number(raw);
    if (!Number.isSafeInteger(invitedAtMs)) return;
    const tx = this.#redis.multi();
    const cutoffMs = this.#nowMs() - this.#recentMaxAgeMs;
    addToIndexes(tx, this.#keys, { callId, invitedAtMs, verdict }, ['verdict'], cutoffMs, this.#recentMaxAgeMs);
    await execOrThrow(tx);
  }

  /** The window of the indexes: calls invited before this (ms) have left them. */
  oldestIndexedMs(): number {
    return this.#nowMs() - this.#recentMaxAgeMs;
  }

  /**
   * Appends one entry and refreshes the TTL of the transcript and the record. It does not require
   * the record to exist yet, so the agent does not depend on the order of writes by signaling.
   */
  async appendTranscript(callId: string, entry: TranscriptEntry): Promise<void> {
    const parsed = TranscriptEntrySchema.safeParse(entry);
    if (!parsed.success) {
      throw new VoicebridgeError('VB_BAD_MESSAGE', `invalid transcript entry: ${describeIssues(parsed.error.issues)}`);
    }
    const transcriptKey = this.#keys.callTranscript(callId);
    await execOrThrow(
      this.#redis
        .multi()
        .rpush(transcriptKey, JSON.stringify(parsed.data))
        .expire(transcriptKey, this.#ttlSeconds)
        .expire(this.#keys.call(callId), this.#ttlSeconds),
    );
  }

  /** The record with its transcript, or undefined (also for ids that cannot be ours). */
  async get(callId: string): Promise<CallRecord | undefined> {
    if (!isKeySafeCallId(callId)) return undefined;
    const [record] = await this.#getMany([callId], undefined);
    return record;
  }

  async findBySipCallId(sipCallId: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#keys.callBySipCallId(sipCallId))) ?? undefined;
  }

  /** Newest first (by invitedAtMs), at most `limit` (default 50), within recentMaxAgeMs. */
  async listRecent(options: ListOptions & { limit?: number } = {}): Promise<CallRecord[]> {
    const limit = positiveInteger('limit', options.limit ?? 50);
    const minScore = this.#nowMs() - this.#recentMaxAgeMs;
    const out: CallRecord[] = [];
    const seen = new Set<string>();
    for (let offset = 0; out.length < limit;) {
      const ids = await this.#redis.zrange(
        this.#keys.recentCalls(),
        '+inf',
        String(minScore),
        'BYSCORE',
        'REV',
        'LIMIT',
        offset,
        PAGE_SIZE,
      );
      offset += ids.length;
      // A call added while paging shifts the window by one: skip what we already have.
      const fresh = ids.filter((id) => !seen.has(id));
      fresh.forEach((id) => seen.add(id));
      for (const record of await this.#getMany(fresh, options.onCorrupt)) {
        if (record !== undefined && out.length < limit) out.push(record);
      }
      if (ids.length < PAGE_SIZE) break;
    }
    return out;
  }

  /**
   * Calls not ended yet, newest first: what a restarted bridge must close or resume. With `nodeId`,
   * only that node's calls, plus the calls no node took (records written before node ids): the
   * first node that asks owns those.
   */
  async listLive(options: ListOptions & { nodeId?: string } = {}): Promise<CallRecord[]> {
    const minScore = this.#nowMs() - this.#recentMaxAgeMs;
    const { nodeId } = options;
    const ids = await this.#redis.zrange(this.#keys.liveCalls(), '+inf', String(minScore), 'BYSCORE', 'REV');
    const out: CallRecord[] = [];
    for (let i = 0; i < ids.length; i += PAGE_SIZE) {
      for (const record of await this.#getMany(ids.slice(i, i + PAGE_SIZE), options.onCorrupt)) {
        if (record === undefined || record.status === 'ended') continue;
        if (nodeId === undefined || record.nodeId === undefined || record.nodeId === nodeId) out.push(record);
      }
    }
    return out;
  }

  /** Records of these ids in one round trip, in order (ids that cannot be ours dropped); undefined for one that expired. */
  getMany(callIds: readonly string[], onCorrupt?: ListOptions['onCorrupt']): Promise<(CallRecord | undefined)[]> {
    return this.#getMany(callIds, onCorrupt);
  }

  /** Call ids of one node's calls not ended yet, newest first (its own index: no record is read). */
  async liveCallIdsOnNode(nodeId: string): Promise<string[]> {
    const minScore = this.#nowMs() - this.#recentMaxAgeMs;
    return this.#redis.zrange(this.#keys.nodeLiveCalls(nodeId), '+inf', String(minScore), 'BYSCORE', 'REV');
  }

  async #getMany(callIds: readonly string[], onCorrupt: ListOptions['onCorrupt']): Promise<(CallRecord | undefined)[]> {
    const safeIds = callIds.filter(isKeySafeCallId);
    if (safeIds.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of safeIds) pipeline.hgetall(this.#keys.call(id)).lrange(this.#keys.callTranscript(id), 0, -1);
    const replies = await execOrThrow(pipeline);
    return safeIds.map((id, i) => {
      const hash = replies[2 * i] as Record<string, string>;
      const transcript = replies[2 * i + 1] as string[];
      if (Object.keys(hash).length === 0) return undefined;
      try {
        return decodeCallRecord(id, this.#keys.call(id), hash, this.#keys.callTranscript(id), transcript);
      } catch (error) {
        if (onCorrupt === undefined || !(error instanceof VoicebridgeError)) throw error;
        onCorrupt(error);
        return undefined;
      }
    });
  }
}

/** Runs a MULTI or pipeline and returns the replies, throwing the first command error. */
async function execOrThrow(batch: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<unknown[]> {
  const results = await batch.exec();
  if (results === null) throw new Error('Redis transaction was aborted');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new VoicebridgeError('VB_CONFIG_INVALID', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}
