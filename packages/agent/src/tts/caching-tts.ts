import type { SynthesizeOptions, TextToSpeech, WordTiming } from './text-to-speech.ts';

interface Entry {
  chunks: Int16Array[];
  /** The engine's word timings, given again with the audio (empty when it gives none). */
  words: WordTiming[];
}

export interface CachingTtsOptions {
  /** Texts longer than this are never cached (answers built from what the caller said vary). */
  maxTextLength?: number;
  /** Upper bound of cached audio, in samples (default 8 kHz × 10 min ≈ 9.6 MB). */
  maxSamples?: number;
}

/**
 * Remembers the audio of short texts per voice: greetings and configured answers are said on every
 * call, and synthesising them again costs a process spawn and CPU each time (measured: at 30 new calls
 * per second the per-call flite greeting saturated the agent). Least recently used entries go first.
 * A synthesis that fails or is aborted is not cached.
 */
export class CachingTts implements TextToSpeech {
  readonly #inner: TextToSpeech;
  readonly #maxTextLength: number;
  readonly #maxSamples: number;
  readonly #cache = new Map<string, Entry>();
  #samples = 0;
  hits = 0;
  misses = 0;

  constructor(inner: TextToSpeech, options: CachingTtsOptions = {}) {
    this.#inner = inner;
    this.#maxTextLength = options.maxTextLength ?? 300;
    this.#maxSamples = options.maxSamples ?? 8000 * 600;
  }

  voiceProblem(voice: string | undefined): string | undefined {
    return this.#inner.voiceProblem?.(voice);
  }

  async *synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<Int16Array> {
    if (text.length > this.#maxTextLength) {
      yield* this.#inner.synthesize(text, options);
      return;
    }
    const key = `${options.voice ?? ''}\u0000${text}`;
    const cached = this.#cache.get(key);
    if (cached) {
      this.hits++;
      this.#cache.delete(key); // re-insert: Map order is the LRU order
      this.#cache.set(key, cached);
      if (cached.words.length > 0) options.onWords?.(cached.words);
      for (const chunk of cached.chunks) {
        options.signal.throwIfAborted();
        yield chunk.slice(); // callers own their chunks
      }
      return;
    }
    this.misses++;
    const chunks: Int16Array[] = [];
    const words: WordTiming[] = [];
    const onWords = (timed: readonly WordTiming[]): void => {
      words.push(...timed);
      options.onWords?.(timed);
    };
    for await (const chunk of this.#inner.synthesize(text, { ...options, onWords })) {
      chunks.push(chunk.slice());
      yield chunk;
    }
    this.#store(key, { chunks, words });
  }

  close(): Promise<void> {
    this.#cache.clear();
    this.#samples = 0;
    return this.#inner.close();
  }

  #store(key: string, entry: Entry): void {
    const size = entry.chunks.reduce((n, c) => n + c.length, 0);
    if (size > this.#maxSamples) return;
    this.#cache.set(key, entry);
    this.#samples += size;
    for (const [oldKey, old] of this.#cache) {
      if (this.#samples <= this.#maxSamples) break;
      this.#cache.delete(oldKey);
      this.#samples -= old.chunks.reduce((n, c) => n + c.length, 0);
    }
  }
}
