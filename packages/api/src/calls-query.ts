import { z } from 'zod';
import {
  CALL_DIRECTIONS,
  CALL_ID_PATTERN,
  E164_PATTERN,
  TERMINATION_REASONS,
  TRUNK_NAME_PATTERN,
} from '@voicebridge/protocol';
import type { CallCursor } from '@voicebridge/store';

export const MAX_PAGE = 500;

/** An instant as RFC 3339 (`2026-12-06T09:00:00Z`) or milliseconds since the epoch. */
const instant = z
  .string()
  .max(40)
  .refine((v) => parseInstant(v) !== undefined, 'must be an RFC 3339 time (2026-12-06T09:00:00Z) or epoch milliseconds')
  .transform((v) => parseInstant(v) as number);

const CURSOR_PATTERN = /^(\d{1,16})_(c[0-9a-z]{1,11}[0-9a-f]{12})$/;

/** The query string of `GET /api/v1/calls`; every refusal names its parameter. */
export const CallsQuerySchema = z
  .object({
    number: z.string().regex(E164_PATTERN, 'must be E.164: + then 7 to 15 digits').optional(),
    from: z.string().min(1).max(256).optional().describe('the caller: a number or a SIP URI (compared by user part)'),
    trunk: z.string().regex(TRUNK_NAME_PATTERN, 'must be a trunk name').optional(),
    verdict: z.enum(TERMINATION_REASONS).optional(),
    direction: z.enum(CALL_DIRECTIONS).optional(),
    since: instant.optional().describe('oldest invite time included'),
    until: instant.optional().describe('newest invite time included'),
    live: z.enum(['true', 'false']).optional().describe('true: only calls not ended yet'),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, `must be an integer from 1 to ${MAX_PAGE}`)
      .transform(Number)
      .refine((n) => n >= 1 && n <= MAX_PAGE, `must be an integer from 1 to ${MAX_PAGE}`)
      .optional(),
    cursor: z.string().regex(CURSOR_PATTERN, 'must be a cursor as returned in nextCursor').optional(),
  })
  .strict();
export type CallsQuery = z.output<typeof CallsQuerySchema>;

/** `1733475600000_c…`: the last call of a page, readable so that a log of requests says where it was. */
export function encodeCursor(cursor: CallCursor): string {
  return `${cursor.invitedAtMs}_${cursor.callId}`;
}

export function decodeCursor(text: string): CallCursor {
  const match = CURSOR_PATTERN.exec(text);
  if (match === null) throw new RangeError('not a cursor');
  return { invitedAtMs: Number(match[1]), callId: match[2] as string };
}

export function parseInstant(text: string): number | undefined {
  if (/^\d{1,16}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export function isCallId(text: string): boolean {
  return CALL_ID_PATTERN.test(text);
}
