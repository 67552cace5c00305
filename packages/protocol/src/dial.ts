import { z } from 'zod';
import { CALL_ID_PATTERN, E164_PATTERN } from './ids.ts';
import { TRUNK_NAME_PATTERN } from './trunk-config.ts';
import { DIAL_VERDICTS, type DialVerdict } from './verdicts.ts';

/** BullMQ queue that carries outbound calls: one job per call, jobId = callId. */
export const DIAL_QUEUE = 'dial';

const e164 = z.string().regex(E164_PATTERN, 'must be E.164: + then 7 to 15 digits');

/** Bounds on an operator's metadata: it travels in the job and the record, so it stays small. */
export const DIAL_METADATA_MAX_KEYS = 20;
const metadataKey = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys must be 1 to 64 of letters, digits, _ . -');
const metadataValue = z.string().max(500);

/** Default and bounds of how long the callee may ring before we give up (no-answer). */
export const DIAL_RING_TIMEOUT_DEFAULT_S = 30;
export const DIAL_RING_TIMEOUT_MAX_S = 300;

/**
 * One outbound call as the API and the CLI ask for it, and as the `dial` job carries it: the
 * trunk it leaves through, where it goes, who it says it is, and which configured number's agent
 * talks. Guards (guards decide, not the schema) check destination and caller id against the trunk.
 */
export const DialRequestSchema = z.object({
  version: z.literal(1),
  callId: z.string().regex(CALL_ID_PATTERN, 'must be a call id made by newCallId'),
  trunk: z.string().regex(TRUNK_NAME_PATTERN, 'must be a trunk name'),
  /** Who we call, E.164; the trunk's number format decides how it is written on the wire. */
  destination: e164,
  /** The From identity; one of the trunk's configured caller ids. */
  callerId: e164,
  /** The configured number whose agent talks to the callee. */
  number: e164,
  ringTimeoutS: z.number().int().min(1).max(DIAL_RING_TIMEOUT_MAX_S),
  metadata: z
    .record(metadataKey, metadataValue)
    .refine((m) => Object.keys(m).length <= DIAL_METADATA_MAX_KEYS, `at most ${DIAL_METADATA_MAX_KEYS} keys`),
  requestedAtMs: z.number().int().nonnegative(),
});
export type DialRequest = z.infer<typeof DialRequestSchema>;

/** The Reason header of a final response or BYE (RFC 3326), e.g. `Q.850;cause=17;text="User busy"`. */
export const SipReasonSchema = z.object({
  protocol: z.string().max(32),
  cause: z.number().int().nonnegative().optional(),
  text: z.string().max(200).optional(),
});
export type SipReason = z.infer<typeof SipReasonSchema>;

/** How a dial ended before (or at) the answer: what the job returns and the record keeps. */
export const DialOutcomeSchema = z.object({
  verdict: z.enum(DIAL_VERDICTS),
  /** The final response to our INVITE; absent when none came (Timer B, DNS, refused before sending). */
  finalStatus: z.number().int().min(200).max(699).optional(),
  reason: SipReasonSchema.optional(),
  /** From the first 1xx (180/183) to the final response or the ring timeout; absent when it never rang. */
  ringMs: z.number().int().nonnegative().optional(),
  /** INVITEs sent: an auth challenge answered, or a 422 retried, makes 2. */
  attempts: z.number().int().nonnegative(),
  /** One line saying why, e.g. `bridge-restart` or the guard that refused; never a secret. */
  detail: z.string().max(500).optional(),
});
export type DialOutcome = z.infer<typeof DialOutcomeSchema>;

/**
 * The verdict of a final non-2xx response to our INVITE (RFC 3261 §21): 486/600 busy, 408/480
 * no-answer, 603 rejected, 404/484/604 invalid-number, anything else failed. A 487 is the answer to
 * our own CANCEL, so its verdict is why we cancelled (ring timeout or operator), decided by the caller.
 */
export function dialVerdictOfStatus(status: number): DialVerdict {
  if (status >= 200 && status < 300) return 'answered';
  switch (status) {
    case 486:
    case 600:
      return 'busy';
    case 408:
    case 480:
      return 'no-answer';
    case 603:
      return 'rejected';
    case 404:
    case 484:
    case 604:
      return 'invalid-number';
    default:
      return 'failed';
  }
}

/**
 * Parses one Reason header value (RFC 3326 §2): `protocol *(; cause=N / text="..." / other)`.
 * Undefined when it does not parse; only the first value of a comma list is kept.
 */
export function parseSipReason(value: string | undefined): SipReason | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*([A-Za-z0-9.+-]{1,32})\s*((?:;[^;]*)*)$/.exec(value.split(/,(?=\s*[A-Za-z0-9.+-]+\s*;)/)[0] ?? '');
  if (!match) return undefined;
  const reason: SipReason = { protocol: match[1]! };
  for (const param of (match[2] ?? '').split(';').slice(1)) {
    const eq = param.indexOf('=');
    const name = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
    const raw = eq === -1 ? '' : param.slice(eq + 1).trim();
    if (name === 'cause' && /^\d{1,5}$/.test(raw)) reason.cause = Number(raw);
    if (name === 'text') reason.text = raw.replace(/^"|"$/g, '').slice(0, 200);
  }
  return reason;
}
