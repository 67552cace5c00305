import type { Redis } from 'ioredis';
import type { HttpServer } from '@voicebridge/http';
import type { NumberOutboundRules } from '@voicebridge/protocol';
import { CallRecordRepository, NumberRepository, TrunkRepository, type RedisKeys } from '@voicebridge/store';
import type { AuditLog } from './audit-log.ts';
import { addCallRoutes } from './call-routes.ts';
import { addNumberRoutes } from './number-routes.ts';
import { openApiDocument } from './openapi.ts';
import { addTrunkRoutes } from './trunk-routes.ts';

export interface ApiOptions {
  /** Borrowed: commands and PUBLISH only (no subscriber mode here). */
  redis: Redis;
  keys: RedisKeys;
  outbound: NumberOutboundRules;
  audit: AuditLog;
  records?: CallRecordRepository;
  nowMs?: () => number;
  onCorrupt?: (error: Error) => void;
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
  addTrunkRoutes(server, { trunks: new TrunkRepository(redis, keys), audit: options.audit });
  addCallRoutes(server, {
    redis,
    keys,
    records,
    ...(options.nowMs && { nowMs: options.nowMs }),
    ...(options.onCorrupt && { onCorrupt: options.onCorrupt }),
  });
  const document = openApiDocument();
  server.add({ method: 'GET', path: '/api/v1/openapi.json', realm: 'public', handler: () => ({ json: document }) });
}
