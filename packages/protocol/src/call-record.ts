import { z } from 'zod';
import { AGENT_TYPES } from './number-config.ts';

/** Who ended the call. */
export const HANGUP_PARTIES = ['caller', 'agent', 'bridge'] as const;

/**
 * Why a call ended: one verdict per call. Stable strings: dashboards and alerts key on them.
 * docs/errors.md explains each one.
 */
export const TERMINATION_REASONS = [
  'caller-bye', // the caller sent BYE
  'caller-cancel', // CANCEL before answer
  'agent-hangup', // the agent ended the call; we sent BYE
  'rejected', // a final non-2xx went to the INVITE (see sipStatus)
  'no-agent', // no agent claimed the call within answerTimeoutMs: 503
  'no-ack', // our 2xx was never ACKed (RFC 3261 §13.3.1.4): we sent BYE
  'media-lost', // the media worker went away
  'media-timeout', // no RTP for too long
  'agent-lost', // the agent went away and nobody took over
  'drain', // shutdown deadline reached: we sent BYE
  'bridge-restart', // found live after a restart, closed by the bridge
  'error', // an internal failure; see the log line with the call id
] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

export const CALL_STATUSES = ['setup', 'ringing', 'answered', 'ended'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const VerdictSchema = z.object({
  by: z.enum(HANGUP_PARTIES),
  reason: z.enum(TERMINATION_REASONS),
  sipStatus: z.number().int().min(100).max(699).optional(),
  detail: z.string().max(500).optional(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

export const TranscriptEntrySchema = z.object({
  speaker: z.enum(['caller', 'agent']),
  text: z.string().max(5000),
  /** Milliseconds since the call was answered (the first ACK), or since INVITE before that. */
  atMs: z.number().int().nonnegative(),
});
export type TranscriptEntry = z.infer<typeof TranscriptEntrySchema>;

export const TransportAddressSchema = z.object({
  address: z.string().min(1),
  port: z.number().int().min(0).max(65535),
});
export type TransportAddress = z.infer<typeof TransportAddressSchema>;

/**
 * RTP/RTCP figures of one call as the media worker saw them (RFC 3550 Appendix A), returned by the
 * media `close` request; signaling copies them into the record.
 */
export const MediaStatsSchema = z.object({
  packetsSent: z.number().int().nonnegative(),
  packetsReceived: z.number().int().nonnegative(),
  /** A.3 expected − received over every source the call had; negative when duplicates arrived. */
  packetsLost: z.number().int(),
  /** A.8 interarrival jitter of the last source, ms. */
  jitterMs: z.number().nonnegative(),
  /** Longest time between two consecutive RTP packets received, ms. */
  longestGapMs: z.number().nonnegative(),
  /** The last round-trip time from the peer's RTCP reports on our stream (§6.4.1), if any. */
  roundTripMs: z.number().nonnegative().optional(),
  /** Inbound frames zero-filled for lost packets, and the jitter buffer's largest depth, ms. */
  framesConcealed: z.number().int().nonnegative().optional(),
  jitterBufferMaxMs: z.number().nonnegative().optional(),
});
export type MediaStats = z.infer<typeof MediaStatsSchema>;

/** Call record v1: one per call, written by signaling, transcript appended by the agent. */
export const CallRecordSchema = z.object({
  version: z.literal(1),
  callId: z.string(),
  sipCallId: z.string(),
  from: z.string(),
  to: z.string(),
  /** The dialled number after normalisation (E.164), or the raw user part when it did not normalise. */
  number: z.string(),
  agent: z.enum(AGENT_TYPES).optional(),
  configVersion: z.number().int().optional(),
  status: z.enum(CALL_STATUSES),
  invitedAtMs: z.number().int(),
  answeredAtMs: z.number().int().optional(),
  endedAtMs: z.number().int().optional(),
  codec: z.string().optional(),
  ptimeMs: z.number().int().optional(),
  remoteSip: TransportAddressSchema.optional(),
  remoteRtp: TransportAddressSchema.optional(),
  localRtp: TransportAddressSchema.optional(),
  verdict: VerdictSchema.optional(),
  /** From the media worker's `close` result (optional: absent in records written before it). */
  media: MediaStatsSchema.optional(),
  transcript: z.array(TranscriptEntrySchema),
});
export type CallRecord = z.infer<typeof CallRecordSchema>;
