import type { Redis } from 'ioredis';
import { HttpError, type HttpServer, type RouteContext } from '@voicebridge/http';
import { ownerNodeOf, type CallRecord, type NodeCommand, type NumberConfig } from '@voicebridge/protocol';
import {
  CallEventDeadLetters,
  queryCalls,
  SipTraceRepository,
  type CallRecordRepository,
  type NumberRepository,
  type RedisKeys,
} from '@voicebridge/store';
import type { AuditLog } from './audit-log.ts';
import { invalidField, issuesOf } from './api-errors.ts';
import { CallsQuerySchema, decodeCursor, encodeCursor, isCallId } from './calls-query.ts';
import { sendRecording } from './recording.ts';
import type { LocalCommands } from './local-commands.ts';
import { cancelQueuedDial, type CancelQueuedDial } from './queued-dial-cancel.ts';

export interface CallRoutesOptions {
  redis: Redis;
  keys: RedisKeys;
  records: CallRecordRepository;
  nowMs?: () => number;
  /** A corrupt record met while listing (skipped). */
  onCorrupt?: (error: Error) => void;
  /** Takes a not yet placed dial off the `dial` queue: a hang-up then cancels it. */
  cancelQueuedDial?: CancelQueuedDial;
  /** Puts a call's dead letters back on the call-events queue: `POST /api/v1/calls/{id}/events/redeliver`. */
  redeliverEvents?: RedeliverEvents;
  numbers?: Pick<NumberRepository, 'get'>;
  audit?: AuditLog;
  /** Asked before Redis: a call live on this node is hung up through an outage. */
  localCommands?: LocalCommands;
}

/** The event ids queued again; throws VB_CONFLICT when the number sends no events now. */
export type RedeliverEvents = (
  callId: string,
  number: Pick<NumberConfig, 'events' | 'insecure'> | undefined,
) => Promise<string[]>;

/** What a call used: the figures a bill or a dashboard is made of, derived from the record. */
export function usageOf(record: CallRecord, nowMs: number): Record<string, number> {
  const end = record.endedAtMs ?? nowMs;
  return {
    ringMs: Math.max(0, (record.answeredAtMs ?? end) - record.invitedAtMs),
    talkMs: record.answeredAtMs === undefined ? 0 : Math.max(0, end - record.answeredAtMs),
    turns: record.turns?.length ?? 0,
    transcriptEntries: record.transcript.length,
    recordingMs: record.media?.recording?.durationMs ?? 0,
  };
}

/** `GET /api/v1/calls`, `GET /api/v1/calls/{id}` (with its SIP trace), its recording, and `POST /api/v1/calls/{id}/hangup`. */
export function addCallRoutes(server: HttpServer, options: CallRoutesOptions): void {
  const { redis, keys, records } = options;
  const nowMs = options.nowMs ?? Date.now;
  const traces = new SipTraceRepository(redis, keys);
  // Read only here; the TTL is the writer's (the agent's event worker).
  const deadLetters = new CallEventDeadLetters(redis, keys, { ttlSeconds: 1 });
  server.add({
    method: 'GET',
    path: '/api/v1/calls',
    realm: 'read',
    handler: async (context) => {
      const parsed = CallsQuerySchema.safeParse(context.request.query ?? {});
      if (!parsed.success) throw invalidField(issuesOf(parsed.error.issues), 'VB_BAD_MESSAGE');
      const q = parsed.data;
      if (q.since !== undefined && q.until !== undefined && q.since > q.until) {
        throw new HttpError('VB_BAD_MESSAGE', 'until: is before since', 'until');
      }
      const page = await queryCalls(redis, keys, records, {
        number: q.number,
        from: q.from,
        trunk: q.trunk,
        verdict: q.verdict,
        direction: q.direction,
        live: q.live === 'true',
        sinceMs: q.since,
        untilMs: q.until,
        after: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
        limit: q.limit ?? 50,
        ...(options.onCorrupt && { onCorrupt: options.onCorrupt }),
      });
      return {
        json: {
          calls: page.records.map(({ transcript: _transcript, dialog: _dialog, ...call }) => call),
          ...(page.next && { nextCursor: encodeCursor(page.next) }),
        },
      };
    },
  });
  server.add({
    method: 'GET',
    path: '/api/v1/calls/:id',
    realm: 'read',
    handler: async (context) => {
      const record = await existing(records, idParam(context));
      const { transcript, turns, media, dialog: _dialog, ...call } = record;
      const [sipTrace, eventsDeadLetter] = await Promise.all([
        traces.list(record.callId),
        deadLetters.list(record.callId),
      ]);
      const usage = usageOf(record, nowMs());
      return {
        json: { call, transcript, turns: turns ?? [], media: media ?? null, usage, sipTrace, eventsDeadLetter },
      };
    },
  });
  server.add({
    method: 'GET',
    path: '/api/v1/calls/:id/recording',
    realm: 'read',
    handler: async (context) => {
      const record = await existing(records, idParam(context));
      return sendRecording(record, context.request.headers.range);
    },
  });
  server.add({
    method: 'POST',
    path: '/api/v1/calls/:id/hangup',
    realm: 'admin',
    handler: async (context) => {
      const id = idParam(context);
      // This node's own calls first, with no Redis read or publish: the BYE must reach the caller
      // while Redis is down (the verdict is written once it returns).
      const local = options.localCommands;
      if (local !== undefined && (await local.run({ command: 'hangup', callId: id })))
        return { status: 202, json: { callId: id, node: local.nodeId, command: 'hangup' } };
      if (options.cancelQueuedDial !== undefined && (await records.get(id)) === undefined) {
        const cancelled = await cancelQueuedDial(options.cancelQueuedDial, records, id, nowMs());
        if (cancelled !== undefined) return { status: 202, json: cancelled };
      }
      const record = await existing(records, id);
      if (record.status === 'ended') {
        throw new HttpError(
          'VB_CONFLICT',
          `id: call ${record.callId} has already ended (${record.verdict?.reason ?? 'no verdict'})`,
          'id',
        );
      }
      const node = ownerNodeOf(record);
      if (node === undefined) {
        throw new HttpError(
          'VB_NODE_UNREACHABLE',
          `id: call ${record.callId} names no node (its record predates node ids)`,
          'id',
        );
      }
      const command: NodeCommand = { command: 'hangup', callId: record.callId };
      const receivers = await redis.publish(keys.nodeCommands(node), JSON.stringify(command));
      if (receivers === 0) {
        throw new HttpError(
          'VB_NODE_UNREACHABLE',
          `id: node ${node}, which owns call ${record.callId}, is not listening for commands`,
          'id',
        );
      }
      // The BYE and the verdict follow on the owning node: the record shows them.
      return { status: 202, json: { callId: record.callId, node, command: 'hangup' } };
    },
  });
  const { redeliverEvents, numbers, audit } = options;
  if (redeliverEvents === undefined || numbers === undefined) return;
  server.add({
    method: 'POST',
    path: '/api/v1/calls/:id/events/redeliver',
    realm: 'admin',
    handler: async (context) => {
      const record = await existing(records, idParam(context));
      const number = await numbers.get(record.number);
      let redelivered: string[];
      try {
        redelivered = await redeliverEvents(record.callId, number);
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'VB_CONFLICT')
          throw new HttpError('VB_CONFLICT', `${error.message} (number ${record.number})`, 'events');
        throw error;
      }
      // Not a configuration change, but a write an operator made: one audit line as for one.
      const version = number?.configVersion ?? 0;
      audit?.({
        token: 'admin',
        action: 'call.events.redeliver',
        target: record.callId,
        fromVersion: version,
        toVersion: version,
        source: context.request.ip,
      });
      return { json: { callId: record.callId, redelivered } };
    },
  });
}

function idParam(context: RouteContext): string {
  const raw = (context.request.params as { id?: string }).id ?? '';
  if (!isCallId(raw)) {
    throw new HttpError(
      'VB_BAD_MESSAGE',
      `id: ${JSON.stringify(raw.slice(0, 40))} is not a call id (c…, as in GET /api/v1/calls)`,
      'id',
    );
  }
  return raw;
}

async function existing(records: CallRecordRepository, callId: string): Promise<CallRecord> {
  const record = await records.get(callId);
  if (record === undefined)
    throw new HttpError('VB_CALL_NOT_FOUND', `id: no call ${callId} (never seen, or its record expired)`, 'id');
  return record;
}
