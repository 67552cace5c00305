import { z } from 'zod';

const count = z.number().int().nonnegative();

/**
 * What a `websocket` number's call did on its bot stream, in the call record (written by the agent
 * when the call ends there). `url` is the bot's origin and path only: a query may carry a token.
 * Counts, never content: a bot call has no transcript of its own.
 */
export const BotStreamStatsSchema = z.object({
  url: z.string().max(2000),
  /** Epoch ms the first socket opened (before the answer: the bot was there when the caller was answered). */
  connectedAtMs: z.number().int().optional(),
  callerFramesSent: count,
  /** Frames media filled in (concealment), sent and counted among the sent ones. */
  callerFramesFilled: count,
  /** Lost because the bot's socket was not draining, or while it reconnected. */
  callerFramesDropped: count,
  botMediaMessages: count,
  botBytes: count,
  /** Bot audio dropped at the call queue's bound (8 kHz samples). */
  botSamplesDropped: count,
  marks: count,
  marksEchoed: count,
  clears: count,
  reconnects: count,
  /** Ignored bot messages by reason (binary, oversize, bad-json, bad-shape, bad-payload, unknown-event, wrong-stream). */
  ignored: z.record(z.string().max(32), count),
  /** The bot's close code and reason, when the bot closed the socket. */
  closeCode: z.number().int().optional(),
  closeReason: z.string().max(123).optional(),
});
export type BotStreamStats = z.infer<typeof BotStreamStatsSchema>;
