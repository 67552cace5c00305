/**
 * One word of the audio a synthesis returned, as the engine aligned it: milliseconds from the first
 * sample of that synthesis's first chunk (8 kHz, so sample = ms × 8).
 */
export interface WordTiming {
  word: string;
  startMs: number;
  endMs: number;
}

export interface SynthesizeOptions {
  sampleRateHz: 8000;
  /** Engine-specific voice name; the engine's default when absent. */
  voice?: string;
  /** Aborting stops synthesis at once (processes killed) and ends the chunks with the signal's reason. */
  signal: AbortSignal;
  /**
   * Called by an engine that aligns its audio to the text (ElevenLabs, Cartesia) with the words it
   * timed, in order, as they become known; engines without alignment never call it, and the heard
   * text of a cut reply is then estimated from the samples played alone.
   */
  onWords?: (words: readonly WordTiming[]) => void;
}

/**
 * Text to 8 kHz mono 16-bit PCM, as a stream of chunks: the first arrives as soon as the first part of
 * the text is synthesised, while the rest is still being synthesised. Throws `EngineError`
 * (see `retryable`) when the engine fails, or the signal's reason. Each chunk is a new array.
 */
export interface TextToSpeech {
  synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Int16Array>;
  /**
   * Why this engine cannot speak with `voice` (undefined: the engine's default), listing the ones
   * it has; undefined when it can. Asked before a call is answered, so a caller never hears a
   * number whose voice does not exist hang up on them.
   */
  voiceProblem?(voice: string | undefined): string | undefined;
  close(): Promise<void>;
}
