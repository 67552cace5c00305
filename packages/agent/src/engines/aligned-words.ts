import type { WordTiming } from '../tts/text-to-speech.ts';

/**
 * Turns a provider's character alignment into word timings. Characters come in pieces (one audio
 * message each), so a word may begin in one piece and end in the next: it is reported once the
 * whitespace after it, or the end of the reply, is seen. Times are milliseconds from the reply's
 * first sample.
 */
export class AlignedWords {
  #word = '';
  #startMs = 0;
  #endMs = 0;

  /** Adds characters (parallel arrays, already checked); returns the words they completed. */
  add(chars: readonly string[], startsMs: readonly number[], durationsMs: readonly number[]): WordTiming[] {
    const done: WordTiming[] = [];
    chars.forEach((char, i) => {
      const startMs = startsMs[i] ?? 0;
      if (/^\s*$/.test(char)) {
        this.#close(done);
        return;
      }
      if (this.#word === '') this.#startMs = startMs;
      this.#word += char;
      this.#endMs = Math.max(this.#endMs, startMs + (durationsMs[i] ?? 0));
    });
    return done;
  }

  /** The word the reply ended on, if any. */
  end(): WordTiming[] {
    const done: WordTiming[] = [];
    this.#close(done);
    return done;
  }

  #close(done: WordTiming[]): void {
    if (this.#word !== '') done.push({ word: this.#word, startMs: this.#startMs, endMs: this.#endMs });
    this.#word = '';
    this.#endMs = 0;
  }
}

/**
 * ElevenLabs' `alignment` object (`chars`, `charStartTimesMs`, `charDurationsMs`, parallel arrays),
 * or undefined when it is absent or malformed: a bad alignment loses the timing, never the audio.
 */
export function charAlignment(
  value: unknown,
): { chars: string[]; startsMs: number[]; durationsMs: number[] } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const chars = record['chars'];
  const startsMs = record['charStartTimesMs'];
  const durationsMs = record['charDurationsMs'];
  if (!Array.isArray(chars) || !Array.isArray(startsMs) || !Array.isArray(durationsMs)) return undefined;
  if (chars.length !== startsMs.length || chars.length !== durationsMs.length) return undefined;
  if (!chars.every((c) => typeof c === 'string')) return undefined;
  if (![...startsMs, ...durationsMs].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0))
    return undefined;
  return { chars: chars as string[], startsMs: startsMs as number[], durationsMs: durationsMs as number[] };
}

/**
 * Cartesia's `word_timestamps` (`words`, `start`, `end` in seconds, parallel arrays) as word
 * timings in milliseconds, or undefined when absent or malformed.
 */
export function wordTimestamps(value: unknown): WordTiming[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const words = record['words'];
  const start = record['start'];
  const end = record['end'];
  if (!Array.isArray(words) || !Array.isArray(start) || !Array.isArray(end)) return undefined;
  if (words.length !== start.length || words.length !== end.length) return undefined;
  const timings: WordTiming[] = [];
  for (let i = 0; i < words.length; i++) {
    const word: unknown = words[i];
    const s: unknown = start[i];
    const e: unknown = end[i];
    if (typeof word !== 'string' || typeof s !== 'number' || typeof e !== 'number') return undefined;
    if (!Number.isFinite(s) || !Number.isFinite(e) || s < 0 || e < s) return undefined;
    timings.push({ word, startMs: s * 1000, endMs: e * 1000 });
  }
  return timings;
}
