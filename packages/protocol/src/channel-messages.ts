import { z } from 'zod';
import { ERROR_CODE_NAMES } from './errors.ts';
import { TERMINATION_REASONS } from './verdicts.ts';
import { TransferProgressSchema, TransferRequestIdSchema } from './transfer.ts';

/** A call's owner epoch: 1 for the first agent that claimed it, +1 for every takeover. */
export const OwnerEpochSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * Control on a call's audio channel, modelled on Twilio Media Streams so bots map onto it 1:1.
 * Media → agent ("up"): start, mark, dtmf, error, stop, hold, resume, owner, transfer-result. Agent → media
 * ("down"): ready, mark, clear, hangup, dtmf, heartbeat, transfer.
 *
 * Fencing (docs/adr/0010-call-ownership-fencing.md): every agent → media message carries the sender's
 * owner `epoch` (incremented in Redis on each claim of the call's job). The media worker follows the
 * highest epoch that said `ready` and drops anything from a lower one; a message without an epoch counts
 * as epoch 0 (an unfenced sender, e.g. a test or an older agent).
 */
/** Keys an agent may send: RFC 4733 DTMF events 0–15. */
export const DTMF_DIGITS_PATTERN = /^[0-9*#A-Da-d]{1,32}$/;

export const MediaToAgentSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('start'),
    callId: z.string(),
    codec: z.enum(['PCMU', 'PCMA']),
    sampleRateHz: z.number().int(),
    ptimeMs: z.number().int(),
    answeredAtMs: z.number().int(),
    /** RFC 4733 telephone-event was negotiated: the agent may send DTMF (absent from older media). */
    telephoneEvent: z.boolean().optional(),
  }),
  /** A mark the agent queued: played=true once the audio before it left the socket; false if cleared. */
  z.object({ event: z.literal('mark'), name: z.string().max(200), played: z.boolean() }),
  /** One key press of the caller (RFC 4733), reported exactly once per press. */
  z.object({ event: z.literal('dtmf'), digit: z.string().regex(/^[0-9*#A-D]$/), durationMs: z.number().int() }),
  /** A request of the agent's that media could not carry out (e.g. `dtmf` without telephone-event). */
  z.object({ event: z.literal('error'), code: z.string().max(64), message: z.string().max(500) }),
  z.object({ event: z.literal('stop'), reason: z.enum(TERMINATION_REASONS) }),
  /**
   * The caller put the call on hold (re-INVITE/UPDATE without send for us, RFC 3264 §8.4): no caller
   * frames come and the agent's audio is not sent until `resume`.
   */
  z.object({ event: z.literal('hold') }),
  z.object({ event: z.literal('resume') }),
  /** A newer owner said `ready`: an agent holding a lower epoch has lost the call and must go quiet. */
  z.object({ event: z.literal('owner'), epoch: OwnerEpochSchema }),
  /** How the agent's `transfer` goes: `trying` (maybe several), then one `success` or `failure`. */
  TransferProgressSchema.extend({ event: z.literal('transfer-result'), requestId: TransferRequestIdSchema.optional() }),
]);
export type MediaToAgent = z.infer<typeof MediaToAgentSchema>;

export const AgentToMediaSchema = z.discriminatedUnion('event', [
  /** The agent owns the call and wants the caller's audio from now on (media holds it until then). */
  z.object({ event: z.literal('ready'), epoch: OwnerEpochSchema.optional() }),
  z.object({ event: z.literal('mark'), name: z.string().max(200), epoch: OwnerEpochSchema.optional() }),
  /** Barge-in: drop queued audio within one frame, report pending marks as not played. */
  z.object({ event: z.literal('clear'), epoch: OwnerEpochSchema.optional() }),
  /** Ends the call; an `error` says which failure (`code`) and why in one line (`detail`) for the record. */
  z.object({
    event: z.literal('hangup'),
    reason: z.enum(TERMINATION_REASONS),
    code: z.enum(ERROR_CODE_NAMES).optional(),
    detail: z.string().max(500).optional(),
    epoch: OwnerEpochSchema.optional(),
  }),
  /**
   * Key presses to the caller as RFC 4733 telephone-events, in order, pausing the agent's voice while
   * each plays (its audio stays queued). `durationMs` per key, default 100. Answered with `error`
   * (VB_DTMF_NOT_NEGOTIATED) when the call has no telephone-event payload type.
   */
  z.object({
    event: z.literal('dtmf'),
    digits: z.string().regex(DTMF_DIGITS_PATTERN, 'must be 1–32 of 0-9 * # A-D'),
    durationMs: z.number().int().min(40).max(2000).optional(),
    epoch: OwnerEpochSchema.optional(),
  }),
  /** The owner is alive (sent every AGENT_HEARTBEAT_MS): without it the media worker holds the call for a new owner. */
  z.object({ event: z.literal('heartbeat'), epoch: OwnerEpochSchema.optional() }),
  /**
   * Transfer the call (REFER) to `target`, a number or sip:/tel: URI that the number's `transferTargets`
   * must allow; answered with `transfer-result`s carrying the same `requestId`. On success the call ends.
   */
  z.object({
    event: z.literal('transfer'),
    target: z.string().min(1).max(256),
    requestId: TransferRequestIdSchema.optional(),
    epoch: OwnerEpochSchema.optional(),
  }),
]);
export type AgentToMedia = z.infer<typeof AgentToMediaSchema>;
