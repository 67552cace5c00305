import { z } from 'zod';
import { MediaStatsSchema, TransportAddressSchema } from './call-record.ts';
import { ERROR_CODE_NAMES } from './errors.ts';
import { HANGUP_PARTIES, TERMINATION_REASONS } from './verdicts.ts';
import { SrtpParamsSchema } from './srtp.ts';
import { TransferProgressSchema, TransferRequestIdSchema } from './transfer.ts';
import { DTMF_DIGITS_PATTERN } from './channel-messages.ts';

/**
 * Signaling ↔ media worker control, newline-delimited JSON over a TCP connection.
 * Requests carry an id and get exactly one response; events flow media → signaling unasked.
 * Pending requests are rejected with VB_CHANNEL_CLOSED when the connection closes.
 */
export const CodecSchema = z.object({
  name: z.enum(['PCMU', 'PCMA']),
  payloadType: z.number().int().min(0).max(127),
});
export type Codec = z.infer<typeof CodecSchema>;

export const AllocateParamsSchema = z.object({
  callId: z.string(),
  remoteRtp: TransportAddressSchema,
  /** RFC 3605 `a=rtcp` when the offer had one; else RTCP goes to the RTP port + 1 (RFC 3550 §11). */
  remoteRtcp: TransportAddressSchema.optional(),
  codec: CodecSchema,
  telephoneEventPayloadType: z.number().int().min(96).max(127).optional(),
  ptimeMs: z.number().int().min(10).max(40),
  /** Our direction as answerer (RFC 3264 §6.1). */
  direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']),
  /** Inbound jitter buffer cap for this call (e.g. a trunk known to be worse); default the worker's, 60 ms. */
  jitterMaxDepthMs: z.number().int().min(20).max(1000).optional(),
  /**
   * Symmetric RTP (rtp-latch.ts in media): `learn` (default) latches to the caller's real source within a
   * learning window; `sdp` accepts and sends only to the SDP address (per trunk).
   */
  rtpLatching: z.enum(['learn', 'sdp']).optional(),
  /** SDES-SRTP (RFC 4568) when the offer was RTP/SAVP: RTP and RTCP are protected both ways. */
  srtp: SrtpParamsSchema.optional(),
  /** Record the call (the number's `recording`): the WAV is kept this many days. */
  recording: z.object({ retentionDays: z.number().int().min(1).max(3650) }).optional(),
});
export type AllocateParams = z.infer<typeof AllocateParamsSchema>;

/**
 * A new offer/answer in the dialog (re-INVITE or UPDATE, RFC 3264 §8, RFC 3311): the session's new
 * remote address, codec, ptime and our direction. Hold is a direction without send (recvonly or
 * inactive), which also covers the RFC 2543 `c=0.0.0.0` form. Latching starts a new learning window.
 */
export const UpdateParamsSchema = AllocateParamsSchema.pick({
  callId: true,
  remoteRtp: true,
  remoteRtcp: true,
  codec: true,
  telephoneEventPayloadType: true,
  ptimeMs: true,
  direction: true,
});
export type UpdateParams = z.infer<typeof UpdateParamsSchema>;

/** A DTMF digit signaling received in a SIP INFO (RFC 6086; application/dtmf-relay or application/dtmf). */
export const DtmfParamsSchema = z.object({
  callId: z.string(),
  digit: z.string().regex(/^[0-9*#A-D]$/),
  durationMs: z.number().int().min(0).max(60_000),
});
export type DtmfParams = z.infer<typeof DtmfParamsSchema>;

/** Signaling → media: key presses to the caller asked for outside the agent (a node command). */
export const SendDtmfParamsSchema = z.object({
  callId: z.string(),
  digits: z.string().regex(DTMF_DIGITS_PATTERN),
});
export type SendDtmfParams = z.infer<typeof SendDtmfParamsSchema>;

/** Signaling → media: how an agent's transfer goes, for media to pass on as a `transfer-result`. */
export const TransferProgressParamsSchema = TransferProgressSchema.extend({
  callId: z.string(),
  requestId: TransferRequestIdSchema.optional(),
});
export type TransferProgressParams = z.infer<typeof TransferProgressParamsSchema>;

export const AllocateResultSchema = z.object({
  /** The advertised address and RTP port for our SDP; RTCP is port + 1. */
  localRtp: TransportAddressSchema,
});
export type AllocateResult = z.infer<typeof AllocateResultSchema>;

/** The `close` result: the call's media figures, absent when the call was unknown (already closed). */
export const CloseResultSchema = z.object({ stats: MediaStatsSchema.optional() });
export type CloseResult = z.infer<typeof CloseResultSchema>;

export const MediaRequestSchema = z.discriminatedUnion('method', [
  z.object({ id: z.number().int(), method: z.literal('allocate'), params: AllocateParamsSchema }),
  /** The call is answered and confirmed (ACK): start sending, tell the agent. */
  z.object({
    id: z.number().int(),
    method: z.literal('start'),
    params: z.object({ callId: z.string(), answeredAtMs: z.number().int() }),
  }),
  z.object({ id: z.number().int(), method: z.literal('update'), params: UpdateParamsSchema }),
  z.object({ id: z.number().int(), method: z.literal('dtmf'), params: DtmfParamsSchema }),
  z.object({ id: z.number().int(), method: z.literal('send-dtmf'), params: SendDtmfParamsSchema }),
  z.object({
    id: z.number().int(),
    method: z.literal('close'),
    params: z.object({ callId: z.string(), reason: z.enum(TERMINATION_REASONS) }),
  }),
  z.object({ id: z.number().int(), method: z.literal('heartbeat'), params: z.object({}) }),
  z.object({ id: z.number().int(), method: z.literal('transfer-progress'), params: TransferProgressParamsSchema }),
]);
export type MediaRequest = z.infer<typeof MediaRequestSchema>;
export type MediaMethod = MediaRequest['method'];

export const MediaResponseSchema = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
export type MediaResponse = z.infer<typeof MediaResponseSchema>;

export const MediaEventSchema = z.discriminatedUnion('event', [
  /** The media side ended the call (agent hung up, media timeout): signaling sends BYE. */
  z.object({
    event: z.literal('hangup'),
    callId: z.string(),
    by: z.enum(HANGUP_PARTIES),
    reason: z.enum(TERMINATION_REASONS),
    /** For `error`: the failure's code and one line of reason, copied into the record's verdict. */
    code: z.enum(ERROR_CODE_NAMES).optional(),
    detail: z.string().max(500).optional(),
  }),
  z.object({ event: z.literal('heartbeat'), calls: z.number().int() }),
  /**
   * The first line on every control connection: the node the worker belongs to (NODE_ID), so a
   * signaling process pointed at another node's worker (MEDIA_CONTROL_ADDRESSES, a shifted
   * MEDIA_CONTROL_PORT) refuses it instead of running calls through it.
   */
  z.object({ event: z.literal('hello'), nodeId: z.string().max(256) }),
  /** The call's agent asked for a transfer: signaling checks the target and sends REFER. */
  z.object({
    event: z.literal('transfer'),
    callId: z.string(),
    target: z.string().min(1).max(256),
    requestId: TransferRequestIdSchema.optional(),
  }),
]);
export type MediaEvent = z.infer<typeof MediaEventSchema>;
