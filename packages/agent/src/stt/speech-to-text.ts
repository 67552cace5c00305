/** One recognised stretch of speech. Times are ms from the start of the audio fed to that stream. */
export interface Transcript {
  text: string;
  /** false for an interim hypothesis that a later transcript replaces; true once it will not change. */
  final: boolean;
  startMs: number;
  endMs: number;
  /**
   * On a final: the provider's own end-of-turn signal that closed it (Deepgram `speech_final` after
   * its endpointing silence, or `UtteranceEnd` after a gap in words; AssemblyAI `end_of_turn`).
   * Absent where the engine has none (pocketsphinx: its own silence detection). On an interim: the
   * provider signalled the end of the turn before its final (AssemblyAI's unformatted `end_of_turn`
   * ahead of the formatted turn); the llm agent takes such an interim as stable at once.
   */
  endpoint?: 'speech-final' | 'utterance-end' | 'end-of-turn' | 'stream-end';
}

export interface TranscribeOptions {
  sampleRateHz: 8000;
  /** Words the caller is likely to say (the number's keywords); engines may use them as a hint. */
  keywords?: string[];
  /** Aborting stops reading the audio and ends the transcripts with the signal's reason. */
  signal: AbortSignal;
  /**
   * Called on the provider's own speech-start event (Deepgram `SpeechStarted` with
   * `vad_events=true`), before any word: a barge-in cue. Engines without one never call it.
   */
  onSpeechStart?: () => void;
}

/**
 * Streaming speech to text: 8 kHz mono 16-bit PCM in, transcripts out while the audio is still
 * arriving. The returned iterable ends after the audio ends and the last transcript was given;
 * it throws `EngineError` when the engine fails (see `retryable`), or the signal's reason.
 * Audio chunks are read as they come and may be reused by the caller after the next one is asked for.
 */
export interface SpeechToText {
  transcribe(audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncIterable<Transcript>;
  close(): Promise<void>;
}
