import { z } from 'zod';
import { EnvVarNameSchema } from './config-fields.ts';

/**
 * A call event on its way to the user's backend (docs/api.md "Call events"): one BullMQ job on the
 * `call-events` queue per event, built where the event happens (signaling: ringing, answered,
 * ended; the agent: turns) and delivered by the agent process's event worker (ADR 0022).
 */
export const CALL_EVENTS_QUEUE = 'call-events';
export const CALL_EVENT_TYPES = ['call.ringing', 'call.answered', 'call.turn', 'call.ended'] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

/**
 * The largest body we send. Standard Webhooks recommends payloads "usually smaller than 20kb"; a
 * call.ended carries the record, so a long call's transcript and turns are cut to fit (`truncated`).
 */
export const MAX_CALL_EVENT_BYTES = 32_768;

/**
 * `evt_` and 22 base64url characters: never a `.`, which the signed content `id.timestamp.body`
 * uses as its delimiter (the spec forbids it in the id). Also the BullMQ job id, so an event is
 * queued once.
 */
export const CALL_EVENT_ID_PATTERN = /^evt_[A-Za-z0-9_-]{22}$/;

export const CallEventJobSchema = z.object({
  eventId: z.string().regex(CALL_EVENT_ID_PATTERN),
  type: z.enum(CALL_EVENT_TYPES),
  callId: z.string().max(128),
  /** Per call, from 1, in the order the events happened: retries reorder deliveries, this does not. */
  sequence: z.number().int().positive(),
  /** Where and how, copied from the number config when the event happened. */
  target: z.object({
    url: z.string().max(2000),
    secretEnv: EnvVarNameSchema,
    insecure: z.boolean(),
    timeoutMs: z.number().int().min(100).max(10_000),
  }),
  /** The exact JSON sent and signed: every attempt sends the same bytes. */
  body: z.string().max(MAX_CALL_EVENT_BYTES),
});
export type CallEventJob = z.infer<typeof CallEventJobSchema>;

/** An event given up on: kept with the call (API `GET /api/v1/calls/{id}`, `calls show`). */
export const CallEventDeadLetterSchema = z.object({
  eventId: z.string(),
  type: z.enum(CALL_EVENT_TYPES),
  sequence: z.number().int().positive(),
  attempts: z.number().int().nonnegative(),
  /** The last attempt's HTTP status, when the receiver answered at all. */
  status: z.number().int().optional(),
  /** The last attempt's failure in one line (never the URL's path or query). */
  error: z.string().max(300),
  failedAtMs: z.number().int(),
});
export type CallEventDeadLetter = z.infer<typeof CallEventDeadLetterSchema>;

/**
 * A dead letter as stored: with the job it gave up on (target and exact body), so an operator can
 * have it delivered again (`POST /api/v1/calls/{id}/events/redeliver`) under the same event id.
 * Letters written before the job was kept have none and cannot be redelivered.
 */
export const StoredCallEventDeadLetterSchema = CallEventDeadLetterSchema.extend({ job: CallEventJobSchema.optional() });
export type StoredCallEventDeadLetter = z.infer<typeof StoredCallEventDeadLetterSchema>;
