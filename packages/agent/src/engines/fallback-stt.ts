import { EngineError } from '../stt/engine-error.ts';
import type { SpeechToText, Transcript, TranscribeOptions } from '../stt/speech-to-text.ts';
import type { EngineSwitch } from './engine-switch.ts';

export interface FallbackSttOptions {
  primary: SpeechToText;
  /** The offline recogniser; undefined with fallback `none`. */
  fallback: SpeechToText | undefined;
  switch: EngineSwitch;
}

/**
 * A cloud STT whose failure (connect, a socket closed mid-call, a provider error) hands the rest
 * of the call's audio to the offline recogniser: it reads on from the same audio queue, so the
 * caller is heard again from the next frame. The switch is recorded once (`EngineSwitch`).
 */
export class FallbackStt implements SpeechToText {
  readonly #options: FallbackSttOptions;

  constructor(options: FallbackSttOptions) {
    this.#options = options;
  }

  async *transcribe(audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncIterable<Transcript> {
    const { primary, fallback, switch: engineSwitch } = this.#options;
    if (!engineSwitch.onFallback) {
      try {
        yield* primary.transcribe(audio, options);
        return;
      } catch (error) {
        if (options.signal.aborted) throw error;
        if (error instanceof EngineError && error.code === 'VB_CLOSED') throw error;
        engineSwitch.switchOver(error instanceof Error ? error.message : String(error));
      }
    }
    if (fallback === undefined) return;
    yield* fallback.transcribe(audio, options);
  }

  close(): Promise<void> {
    return this.#options.primary.close();
  }
}
