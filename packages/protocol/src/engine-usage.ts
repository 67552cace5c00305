import { z } from 'zod';

/** One engine of a call as the record keeps it: which provider and model, what it used, a switch. */
const EngineUseSchema = z.object({
  provider: z.string().max(40),
  model: z.string().max(200).optional(),
  /** The fallback that took over for the rest of the call, and why (no transcript, no key). */
  switchedTo: z.string().max(40).optional(),
  switchReason: z.string().max(300).optional(),
});

/**
 * The speech engines of a call on cloud engines (`engines` in its number config), written by the
 * agent when the call ends: what each engine was, what it used (what providers bill: audio seconds
 * sent to the STT, characters sent to the TTS; the model's tokens from its stream's `usage`), and
 * any switch to a fallback.
 */
export const EngineUsageSchema = z.object({
  stt: EngineUseSchema.extend({ audioSeconds: z.number().nonnegative().optional() }),
  tts: EngineUseSchema.extend({
    characters: z.number().int().nonnegative().optional(),
    /** Replies cut at the provider by barge-in. */
    cancelled: z.number().int().nonnegative().optional(),
  }),
  llm: z
    .object({
      model: z.string().max(200).optional(),
      promptTokens: z.number().int().nonnegative(),
      completionTokens: z.number().int().nonnegative(),
    })
    .optional(),
});
export type EngineUsage = z.infer<typeof EngineUsageSchema>;

/**
 * What one caller turn used, as the turn table keeps it: the audio sent to the STT since the
 * previous final (the caller's words of this turn, and the silence before them), and the characters
 * sent to the TTS and the model's tokens from this turn's final to the next one (its answer,
 * tool rounds and speculative requests included). A field is absent when the call's engines do not
 * count it (an offline recogniser has no billed audio).
 */
export const TurnUsageSchema = z.object({
  sttAudioSeconds: z.number().nonnegative().optional(),
  ttsCharacters: z.number().int().nonnegative().optional(),
  promptTokens: z.number().int().nonnegative().optional(),
  completionTokens: z.number().int().nonnegative().optional(),
});
export type TurnUsage = z.infer<typeof TurnUsageSchema>;
