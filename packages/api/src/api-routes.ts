import type { Redis } from 'ioredis';
import type { HttpServer } from '@voicebridge/http';
import type { DialRequest, NumberOutboundRules } from '@voicebridge/protocol';
import type { LocalCommands } from './local-commands.ts';
import {
  CallRecordRepository,
  DialLimits,
  NumberRepository,
  TrunkRepository,
  TrunkStatusRepository,
  type RedisKeys,
} from '@voicebridge/store';
import type { AuditLog } from './audit-log.ts';
import { addCallRoutes, type RedeliverEvents } from './call-routes.ts';
import { addDialRoutes } from './dial-routes.ts';
import type { CancelQueuedDial } from './queued-dial-cancel.ts';
import { addNumberRoutes } from './number-routes.ts';
import { openApiDocument } from './openapi.ts';
import { addTrunkRoutes } from './trunk-routes.ts';
import { addTwilioCompatRoutes } from './twilio-compat-routes.ts';

export interface ApiOptions {
  /** Borrowed: commands and PUBLISH only (no subscriber mode here). */
  redis: Redis;
  keys: RedisKeys;
  outbound: NumberOutboundRules;
  audit: AuditLog;
  records?: CallRecordRepository;
  nowMs?: () => number;
  onCorrupt?: (error: Error) => void;
  /** TWILIO_COMPAT_ACCOUNT_SID and TWILIO_COMPAT_AUTH_TOKEN: the Twilio-compatible hang-up route is served with both. */
  twilioCompat?: { accountSid: string; authToken: string };
  /** Puts a checked dial on the `dial` queue: `POST /api/v1/calls` is served with it. */
  enqueueDial?: (request: DialRequest) => Promise<void>;
  /** Takes a dial off the queue before it is placed: `POST /api/v1/calls/{id}/hangup` cancels it. */
  cancelQueuedDial?: CancelQueuedDial;
  /** Queues a call's dead letters again: `POST /api/v1/calls/{id}/events/redeliver` is served with it. */
  redeliverEvents?: RedeliverEvents;
  /** This node's own signaling, asked first by the hang-up routes: no Redis needed for its calls. */
  localCommands?: LocalCommands;
}

/** API v1 on the node's HTTP server: numbers, trunks, calls, and its OpenAPI document (public). */
export function addApiRoutes(server: HttpServer, options: ApiOptions): void {
  const { redis, keys } = options;
  const records =
    options.records ?? new CallRecordRepository(redis, keys, { ...(options.nowMs && { nowMs: options.nowMs }) });
  addNumberRoutes(server, {
    numbers: new NumberRepository(redis, keys),
    outbound: options.outbound,
    audit: options.audit,
  });
  addTrunkRoutes(server, {
    trunks: new TrunkRepository(redis, keys),
    statuses: new TrunkStatusRepository(redis, keys),
    audit: options.audit,
  });
  addCallRoutes(server, {
    redis,
    keys,
    records,
    ...(options.nowMs && { nowMs: options.nowMs }),
    ...(options.onCorrupt && { onCorrupt: options.onCorrupt }),
    ...(options.cancelQueuedDial && { cancelQueuedDial: options.cancelQueuedDial }),
    ...(options.redeliverEvents && {
      redeliverEvents: options.redeliverEvents,
      numbers: new NumberRepository(redis, keys),
      audit: options.audit,
    }),
    ...(options.localCommands && { localCommands: options.localCommands }),
  });
  if (options.enqueueDial) {
    addDialRoutes(server, {
      trunks: new TrunkRepository(redis, keys),
      numbers: new NumberRepository(redis, keys),
      limits: new DialLimits(redis, keys),
      enqueue: options.enqueueDial,
      audit: options.audit,
      ...(options.nowMs && { nowMs: options.nowMs }),
    });
  }
  if (options.twilioCompat)
    addTwilioCompatRoutes(server, {
      redis,
      keys,
      records,
      numbers: new NumberRepository(redis, keys),
      ...(options.localCommands && { localCommands: options.localCommands }),
      ...options.twilioCompat,
    });
  const document = openApiDocument();
  server.add({ method: 'GET', path: '/api/v1/openapi.json', realm: 'public', handler: () => ({ json: document }) });
}
