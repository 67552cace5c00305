import { EngineError } from '../stt/engine-error.ts';
import type { SpeechToText, Transcript, TranscribeOptions } from '../stt/speech-to-text.ts';
import type { EngineSwitch } from './engine-switch.ts';
import { SttStallWatch, type SttStallWatchOptions } from './stt-stall-watch.ts';

export interface FallbackSttOptions {
  /** The cloud recogniser; with `lastMessageAtMs` (every cloud adapter has it) a stall is told too. */
  primary: SpeechToText & { readonly lastMessageAtMs?: number | undefined };
  /** The offline recogniser; undefined with fallback `none`. */
  fallback: SpeechToText | undefined;
  switch: EngineSwitch;
  /** See `SttStallWatch`; `false` turns the stall check off. */
  stall?: SttStallWatchOptions | false;
}

/**
 * A cloud STT whose failure (connect, a socket closed mid-call, a provider error) or stall (the
 * socket open but silent after the caller spoke, `SttStallWatch`) hands the rest of the call's
 * audio to the offline recogniser: it reads on from the same audio queue, so the caller is heard
 * again from the next frame. The switch is recorded once (`EngineSwitch`), a stall with reason
 * `stall: …`. The caller's own end of the call (the signal) is not a failure.
 */
export class FallbackStt implements SpeechToText {
  readonly #options: FallbackSttOptions;

  constructor(options: FallbackSttOptions) {
    this.#options = options;
  }

  async *transcribe(audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncIterable<Transcript> {
    const { primary, fallback, switch: engineSwitch } = this.#options;
    if (!engineSwitch.onFallback) {
      const attempt = new AbortController();
      const onAbort = (): void => attempt.abort(options.signal.reason);
      options.signal.addEventListener('abort', onAbort, { once: true });
      let stalled: string | undefined;
      const watch = this.#options.stall === false ? undefined : new SttStallWatch(this.#options.stall);
      const watched =
        watch === undefined
          ? audio
          : tap(audio, (frame) => {
              if (stalled !== undefined || !watch.frame(frame, primary.lastMessageAtMs)) return;
              stalled = `stall: no message from the provider within ${watch.stallMs} ms of the caller's speech ending`;
              attempt.abort(new EngineError('stt', 'VB_ENGINE_FAILED', stalled));
            });
      try {
        yield* primary.transcribe(watched, { ...options, signal: attempt.signal });
        return;
      } catch (error) {
        if (options.signal.aborted) throw error;
        if (stalled === undefined && error instanceof EngineError && error.code === 'VB_CLOSED') throw error;
        engineSwitch.switchOver(stalled ?? (error instanceof Error ? error.message : String(error)));
      } finally {
        options.signal.removeEventListener('abort', onAbort);
      }
    }
    if (fallback === undefined) return;
    yield* fallback.transcribe(audio, options);
  }

  close(): Promise<void> {
    return this.#options.primary.close();
  }
}

/** `source` with `see` called on each item as it is read; ending it ends only this reader. */
function tap<T>(source: AsyncIterable<T>, see: (item: T) => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const iterator = source[Symbol.asyncIterator]();
      return {
        next: async () => {
          const next = await iterator.next();
          if (next.done !== true) see(next.value);
          return next;
        },
        return: async (value?: unknown) => {
          await iterator.return?.(value);
          return { done: true, value: undefined };
        },
      };
    },
  };
}
