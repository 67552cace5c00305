import { z } from 'zod';
import { AgentConfigSchema } from './agent-config/agent-config.ts';
import { EnginesConfigSchema } from './engine-config.ts';
import { E164_PATTERN } from './ids.ts';
import { NumberEventsConfigSchema, NumberOutboundConfigSchema } from './number-config-reserved.ts';
import { TransferTargetPatternSchema } from './transfer.ts';

/**
 * Call recording of a number (opt-in): a stereo WAV per call, caller left, agent right, written by
 * the media worker under RECORDINGS_DIR and deleted `retentionDays` after it was written.
 */
export const RecordingConfigSchema = z.object({
  enabled: z.boolean().default(false),
  retentionDays: z.number().int().min(1).max(3650).default(30),
});
export type RecordingConfig = z.infer<typeof RecordingConfigSchema>;

/**
 * How a caller's key presses appear in the call record (transcript and events): `masked` (the
 * default) writes each press as `[DTMF masked]`, so a PIN or card number typed on the keypad is never
 * stored; `digits` stores them, for numbers whose keypad input is not sensitive (menus). The
 * agent acting on the call always receives the digits; logs never carry them (docs/security.md).
 */
export const DTMF_IN_RECORDS = ['masked', 'digits'] as const;
export type DtmfInRecords = (typeof DTMF_IN_RECORDS)[number];

/** Guards of a call: how long it may last, and how long the caller may stay silent. */
export const DEFAULT_MAX_CALL_DURATION_S = 3600;
export const DEFAULT_NO_INPUT_TIMEOUT_S = 30;

/**
 * Number config v2: what answers a dialled number. Stored as JSON under the number's key.
 * `configVersion` increments on every write so a call record can say which version answered.
 * The agent's own settings are in `agent`, by kind; what applies to every call of the number
 * (engines, recording, guards, transfer policy) sits beside it. v1 records are still read
 * (StoredNumberConfigSchema upgrades them); everything written is v2. ADR 0011 has the why.
 */
export const NumberConfigSchema = z.object({
  version: z.literal(2),
  number: z.string().regex(E164_PATTERN, 'must be E.164: + then 7 to 15 digits'),
  enabled: z.boolean(),
  agent: AgentConfigSchema,
  /** Absent: the offline engines with their defaults. */
  engines: EnginesConfigSchema.optional(),
  /** Absent or disabled: calls to this number are not recorded. */
  recording: RecordingConfigSchema.optional(),
  /** The agent ends a call this long after the answer (verdict `max-duration`); default 3600. */
  maxCallDurationS: z.number().int().min(1).max(86_400).optional(),
  /** Caller silence before one reprompt, and again before the agent ends the call (`no-input`); default 30. */
  noInputTimeoutS: z.number().int().min(1).max(3600).optional(),
  /** Where the agent may transfer calls (`transfer_call`): numbers or sip:/tel: URIs, `*` a wildcard. Absent: nowhere. */
  transferTargets: z.array(TransferTargetPatternSchema).max(50).optional(),
  /**
   * Whether the caller may talk over the greeting and stop it (as over any reply). Absent: true, so a
   * long greeting never talks over a caller who already knows what they want; false for greetings
   * that must be heard whole (a legal notice).
   */
  greetingInterruptible: z.boolean().optional(),
  /** Key presses in records: `masked` (absent) or `digits`. */
  dtmfInRecords: z.enum(DTMF_IN_RECORDS).optional(),
  /** Signed call events POSTed to the user's backend (docs/api.md "Call events"). */
  events: NumberEventsConfigSchema.optional(),
  /** Reserved, not yet used: outbound calls. */
  outbound: NumberOutboundConfigSchema.optional(),
  /** Plain http/ws to hosts other than localhost for this number's URLs (docs/security.md); absent: https/wss only. */
  insecure: z.boolean().optional(),
  configVersion: z.number().int().nonnegative(),
  updatedAtMs: z.number().int().nonnegative(),
});
export type NumberConfig = z.infer<typeof NumberConfigSchema>;
/** A v2 config before the schema's defaults apply (what writers build; `answers` may be left out). */
export type NumberConfigDraft = z.input<typeof NumberConfigSchema>;
