import { z } from 'zod';
import { TERMINATION_REASONS } from './call-record.ts';

/**
 * Control on a call's audio channel, modelled on Twilio Media Streams so bots map onto it 1:1.
 * Media → agent ("up"): start, mark, dtmf, stop. Agent → media ("down"): ready, mark, clear, hangup.
 */
export const MediaToAgentSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('start'),
    callId: z.string(),
    codec: z.enum(['PCMU', 'PCMA']),
    sampleRateHz: z.number().int(),
    ptimeMs: z.number().int(),
    answeredAtMs: z.number().int(),
  }),
  /** A mark the agent queued: played=true once the audio before it left the socket; false if cleared. */
  z.object({ event: z.literal('mark'), name: z.string().max(200), played: z.boolean() }),
  z.object({ event: z.literal('dtmf'), digit: z.string().regex(/^[0-9*#A-D]$/), durationMs: z.number().int() }),
  z.object({ event: z.literal('stop'), reason: z.enum(TERMINATION_REASONS) }),
]);
export type MediaToAgent = z.infer<typeof MediaToAgentSchema>;

export const AgentToMediaSchema = z.discriminatedUnion('event', [
  /** The agent owns the call and wants the caller's audio from now on (media holds it until then). */
  z.object({ event: z.literal('ready') }),
  z.object({ event: z.literal('mark'), name: z.string().max(200) }),
  /** Barge-in: drop queued audio within one frame, report pending marks as not played. */
  z.object({ event: z.literal('clear') }),
  z.object({ event: z.literal('hangup'), reason: z.enum(TERMINATION_REASONS) }),
]);
export type AgentToMedia = z.infer<typeof AgentToMediaSchema>;
