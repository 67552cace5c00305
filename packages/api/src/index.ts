export { addApiRoutes, type ApiOptions } from './api-routes.ts';
export { openApiDocument } from './openapi.ts';
export { CallsQuerySchema, encodeCursor, decodeCursor, parseInstant } from './calls-query.ts';
export { usageOf } from './call-routes.ts';
export { mergePatch } from './merge-patch.ts';
export { parseRange } from './recording.ts';
export type { AuditEntry, AuditLog } from './audit-log.ts';
export { DialInputSchema, submitDial, type DialInput, type DialSubmitDeps } from './dial-submit.ts';
