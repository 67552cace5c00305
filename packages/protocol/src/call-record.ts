import { z } from 'zod';
import { NODE_ID_PATTERN } from './ids.ts';
import { AGENT_KINDS } from './agent-config/agent-config.ts';
import { BotStreamStatsSchema } from './bot-stream-stats.ts';
import { RealtimeUsageSchema } from './realtime-usage.ts';
import { EngineUsageSchema, TurnUsageSchema } from './engine-usage.ts';
import { ERROR_CODE_NAMES } from './errors.ts';
import { HANGUP_PARTIES, TERMINATION_REASONS } from './verdicts.ts';
import { DialOutcomeSchema } from './dial.ts';

export const CALL_STATUSES = ['setup', 'ringing', 'answered', 'ended'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

export const VerdictSchema = z.object({
  by: z.enum(HANGUP_PARTIES),
  /** A code of VERDICTS (verdicts.ts). */
  reason: z.enum(TERMINATION_REASONS),
  sipStatus: z.number().int().min(100).max(699).optional(),
  /** One line saying why (an `error` verdict always has one, with `code`). */
  detail: z.string().max(500).optional(),
  /** For `error`: the failure's stable code (errors.ts, docs/errors.md). */
  code: z.enum(ERROR_CODE_NAMES).optional(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

export const TranscriptEntrySchema = z.object({
  speaker: z.enum(['caller', 'agent']),
  text: z.string().max(5000),
  /** Milliseconds since the call was answered (the first ACK), or since INVITE before that. */
  atMs: z.number().int().nonnegative(),
  /**
   * An agent reply the caller talked over: the words generated but never heard (`text` holds the
   * heard part, labelled). Absent on a reply played whole.
   */
  cut: z.string().max(5000).optional(),
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
  /** Agent frames dropped because they lagged behind the media clock after a stall (ADR 0014). */
  framesDroppedLate: z.number().int().nonnegative().optional(),
  /** Caller frames media held for an agent not ready (or gone) and dropped over the 5 s it holds, oldest first. */
  callerFramesDroppedHeld: z.number().int().nonnegative().optional(),
  /** The call's recording when its number records (stereo WAV: caller left, agent right). */
  recording: z.object({ path: z.string().max(4096), durationMs: z.number().int().nonnegative() }).optional(),
  /** The caller's RTP source media latched (rtp-latch.ts): where its audio really came from. Absent: none. */
  remoteRtp: TransportAddressSchema.optional(),
});
export type MediaStats = z.infer<typeof MediaStatsSchema>;

const callMs = z.number().int().nonnegative();

/**
 * Where one turn's time went: each stage as ms since the answer (like transcript entries), absent
 * when the stage did not happen (an interrupted reply has no first RTP packet, a turn the agent
 * does not answer has no answer). Spans are differences of consecutive stages. Written by the agent.
 */
export const TurnLatencySchema = z.object({
  /** 1 for the caller's first turn. */
  turn: z.number().int().positive(),
  /** The agent received the caller's last voiced frame before the final transcript (energy VAD). */
  voiceEndAtMs: callMs.optional(),
  /**
   * The final transcript that made this a turn. A `websocket` call has no transcript of ours: there
   * it is the bot's first voiced audio after the caller's voice ended (and the answer and first
   * audio stages are the same moment).
   */
  sttFinalAtMs: callMs,
  /** The model's first token, or the scripted answer chosen. */
  answerAtMs: callMs.optional(),
  /** The first audio of the reply from TTS. */
  ttsFirstAudioAtMs: callMs.optional(),
  /** The first RTP packet of the reply left the media worker's socket (a mark behind its first frame). */
  firstRtpAtMs: callMs.optional(),
  /** Times the caller barged in on this turn's reply. */
  interruptions: z.number().int().nonnegative(),
  /** Barge-ins on this turn's reply that were only noise or a backchannel: the reply resumed. */
  falseBargeIns: z.number().int().nonnegative().optional(),
  /** Largest inbound jitter buffer depth seen on the caller's frames since the previous turn, ms. */
  jitterBufferMaxMs: z.number().nonnegative().optional(),
  /** Agent frames dropped because they lagged behind the media clock after a stall (ADR 0014). */
  framesDroppedLate: z.number().int().nonnegative().optional(),
  /**
   * The model request that answered started on a stable interim transcript, at this time, before
   * the final (docs/conversation.md). Absent: it started at the final.
   */
  earlyRequestAtMs: callMs.optional(),
  /** Requests started early for this turn and discarded (the caller went on, or the final differed). */
  restarts: z.number().int().nonnegative().optional(),
  /** How much sooner the answer's first token was there than a request started at the final would have had it. */
  firstTokenEarlierMs: z.number().int().nonnegative().optional(),
  /** What the turn used of the call's engines and model (absent when the agent counts nothing). */
  usage: TurnUsageSchema.optional(),
});
export type TurnLatency = z.infer<typeof TurnLatencySchema>;
/**
 * What a restarted signaling process needs to send a BYE for a call the old one left up (RFC 3261
 * §12.2.1.1): written when the call is answered. Call-ID is the record's `sipCallId`, the
 * destination its `remoteSip`.
 */
export const DialogSnapshotSchema = z.object({
  /** Our To header with our tag: the From of requests we send. */
  local: z.string().max(2000),
  /** The caller's From header with its tag: the To of requests we send. */
  remote: z.string().max(2000),
  /** The caller's Contact URI: the Request-URI. */
  remoteTarget: z.string().max(2000),
  routeSet: z.array(z.string().max(2000)).max(20),
  /** The transport the INVITE came over (udp, tcp, …). */
  transport: z.string().max(16),
});
export type DialogSnapshot = z.infer<typeof DialogSnapshotSchema>;

/** Call record v1: one per call, written by signaling, transcript appended by the agent. */
export const CallRecordSchema = z.object({
  version: z.literal(1),
  callId: z.string(),
  sipCallId: z.string(),
  from: z.string(),
  /** The From header's display name as the caller sent it: anyone can put anything there, so show it only as text. */
  fromName: z.string().max(200).optional(),
  to: z.string(),
  /** The dialled number after normalisation (E.164), or the raw user part when it did not normalise. */
  number: z.string(),
  agent: z.enum(AGENT_KINDS).optional(),
  configVersion: z.number().int().optional(),
  status: z.enum(CALL_STATUSES),
  invitedAtMs: z.number().int(),
  answeredAtMs: z.number().int().optional(),
  endedAtMs: z.number().int().optional(),
  codec: z.string().optional(),
  ptimeMs: z.number().int().optional(),
  remoteSip: TransportAddressSchema.optional(),
  /** The caller's RTP source as media latched it (set when the call ends); absent when none was latched. */
  remoteRtp: TransportAddressSchema.optional(),
  /** Where the caller's SDP said its RTP was: a claim, sent nothing until its packets latched a source. */
  sdpRtp: TransportAddressSchema.optional(),
  localRtp: TransportAddressSchema.optional(),
  verdict: VerdictSchema.optional(),
  /** From the media worker's `close` result (optional: absent in records written before it). */
  media: MediaStatsSchema.optional(),
  /** A `websocket` number's bot stream: its counters and close (absent for other kinds). */
  bot: BotStreamStatsSchema.optional(),
  /** A call on cloud speech engines: engines, models, usage and fallbacks (absent for other calls). */
  engines: EngineUsageSchema.optional(),
  /** A `realtime` call's model: tokens from its responses, barge-ins, errors, reconnects. */
  realtime: RealtimeUsageSchema.optional(),
  /** Per-turn latency breakdown, oldest first (optional: absent before the first turn). */
  turns: z.array(TurnLatencySchema).max(1000).optional(),
  /**
   * The signaling node that took the call (NODE_ID): only it sweeps the record after a restart
   * (absent in records written before node ids: the first node that sweeps them owns them).
   */
  nodeId: z.string().regex(NODE_ID_PATTERN).optional(),
  /** Who placed the call (absent: inbound, as every call the bridge answers). */
  direction: z.enum(CALL_DIRECTIONS).optional(),
  /** An outbound call's dial: how it ended at the answer, the final status, Reason, ring time, attempts. */
  dial: DialOutcomeSchema.optional(),
  /** An outbound call's operator metadata, as given to `dial` or `POST /api/v1/calls`. */
  metadata: z.record(z.string(), z.string()).optional(),
  /** The trunk the call came from (absent: a source in SIP_ALLOWED_CIDRS, or records before trunks). */
  trunk: z.string().max(63).optional(),
  /** Diversion (RFC 5806) and History-Info (RFC 7044) header values as received, in order. */
  diversion: z.array(z.string().max(500)).max(10).optional(),
  historyInfo: z.array(z.string().max(500)).max(10).optional(),
  /** For a BYE after a signaling restart (optional: absent before the answer and in older records). */
  dialog: DialogSnapshotSchema.optional(),
  transcript: z.array(TranscriptEntrySchema),
});
export type CallRecord = z.infer<typeof CallRecordSchema>;
