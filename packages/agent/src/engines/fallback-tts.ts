import { EngineError } from '../stt/engine-error.ts';
import type { SynthesizeOptions, TextToSpeech, WordTiming } from '../tts/text-to-speech.ts';
import type { EngineSwitch } from './engine-switch.ts';

export interface FallbackTtsOptions {
  primary: TextToSpeech;
  /** The offline voice; undefined with fallback `none`. */
  fallback: TextToSpeech | undefined;
  /** The fallback's own voice (a cloud voice id means nothing to flite). */
  fallbackVoice?: string;
  switch: EngineSwitch;
  /**
   * The longest the provider may keep a reply waiting for audio (first chunk, or between chunks)
   * before the fallback says it. 1000 ms leaves the fallback ~500 ms to start within the 1.5 s the
   * caller may wait.
   */
  stallMs?: number;
}

/**
 * "Never dead air": a cloud TTS that fails (connect, 5xx, a socket closed mid-reply) or stalls is
 * replaced by the offline voice for the rest of the call; the reply it failed on is said again by
 * the fallback from its start (a clause is short, and a sentence cut mid-word is worse than a few
 * words repeated). Barge-in (the caller's abort) is not a failure.
 */
export class FallbackTts implements TextToSpeech {
  readonly #options: FallbackTtsOptions;

  constructor(options: FallbackTtsOptions) {
    this.#options = options;
  }

  async *synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Int16Array> {
    const { primary, switch: engineSwitch, stallMs = 1000 } = this.#options;
    if (!engineSwitch.onFallback) {
      const attempt = new AbortController();
      const onAbort = (): void => attempt.abort(options.signal.reason);
      options.signal.addEventListener('abort', onAbort, { once: true });
      // The provider's word timings are passed on only once the audio they time was returned: a
      // reply the fallback says again from its start must not keep words of audio never sent.
      const pending: WordTiming[] = [];
      let returnedMs = 0;
      const release = (): void => {
        let ready = 0;
        while (ready < pending.length && (pending[ready]?.endMs ?? Infinity) <= returnedMs) ready++;
        if (ready > 0) options.onWords?.(pending.splice(0, ready));
      };
      const onWords =
        options.onWords === undefined ? undefined : (words: readonly WordTiming[]): void => void pending.push(...words);
      const iterator = primary
        .synthesize(text, { ...options, signal: attempt.signal, onWords })
        [Symbol.asyncIterator]();
      let failure: string | undefined;
      try {
        for (;;) {
          const next = await nextWithin(iterator, stallMs);
          if (next === 'stalled') {
            failure = `no audio within ${stallMs} ms`;
            break;
          }
          if (next.done === true) {
            returnedMs = Infinity;
            release();
            return;
          }
          returnedMs += next.value.length / 8;
          release();
          yield next.value;
        }
      } catch (error) {
        if (options.signal.aborted) throw error;
        failure = error instanceof Error ? error.message : String(error);
        if (error instanceof EngineError && error.code === 'VB_CLOSED') throw error;
      } finally {
        options.signal.removeEventListener('abort', onAbort);
        // Stops the provider's reply (a stalled one too): closes its context.
        attempt.abort(new Error('replaced by the fallback'));
        void iterator.return?.().catch(() => {});
      }
      engineSwitch.switchOver(failure ?? 'failed');
    }
    const { fallback, fallbackVoice } = this.#options;
    if (fallback === undefined) return;
    yield* fallback.synthesize(text, { ...options, voice: fallbackVoice, onWords: undefined });
  }

  close(): Promise<void> {
    return this.#options.primary.close();
  }
}

/** The iterator's next result, or `stalled` when none came within `ms`. */
async function nextWithin<T>(iterator: AsyncIterator<T>, ms: number): Promise<IteratorResult<T> | 'stalled'> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), ms)));
  const next = iterator.next();
  // The loser of the race may still reject (the aborted reply): handled here, not unhandled.
  next.catch(() => {});
  try {
    return await Promise.race([next, stalled]);
  } finally {
    clearTimeout(timer);
  }
}
