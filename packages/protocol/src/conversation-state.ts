import { z } from 'zod';

/**
 * What a new owner of a call needs to go on where the last one stopped: the exchanges so
 * far, how many caller turns there were, which number config answered, and what the caller was last
 * told and whether it was played out. Written by the agent as each turn completes, fenced by the
 * owner epoch (a stale owner cannot overwrite it), read by the next owner on takeover.
 */
export const ConversationMessageSchema = z.object({
  role: z.enum(['caller', 'agent']),
  text: z.string().max(5000),
  /** Milliseconds since the call was answered. */
  atMs: z.number().int().nonnegative(),
});
export type ConversationMessage = z.infer<typeof ConversationMessageSchema>;

export const CONVERSATION_MAX_MESSAGES = 200;

export const ConversationStateSchema = z.object({
  version: z.literal(1),
  callId: z.string(),
  /** The owner epoch that wrote this state. */
  epoch: z.number().int().nonnegative(),
  /** The number config's `configVersion` the call runs with (a snapshot taken at INVITE). */
  configVersion: z.number().int().nonnegative(),
  /** Caller turns answered or being answered so far. */
  turns: z.number().int().nonnegative(),
  /** The most recent messages, oldest first (at most CONVERSATION_MAX_MESSAGES). */
  messages: z.array(ConversationMessageSchema).max(CONVERSATION_MAX_MESSAGES),
  /** The agent's last utterance, and whether its audio was confirmed played out (a mark came back). */
  lastSaid: z.object({ text: z.string().max(5000), played: z.boolean() }).optional(),
  /** When the greeting was spoken: a new owner does not greet again. */
  greeted: z.boolean(),
  updatedAtMs: z.number().int().nonnegative(),
});
export type ConversationState = z.infer<typeof ConversationStateSchema>;
