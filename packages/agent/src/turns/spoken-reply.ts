/** Playout allowance: audio "played" this recently may still sit in the caller's jitter buffer. */
export const DEFAULT_PLAYOUT_ALLOWANCE_MS = 120;

/** What the label on truncated history and transcript says. */
export const ESTIMATED_HEARD_LABEL = '[interrupted; estimated heard text]';

import type { WordTiming } from '../tts/text-to-speech.ts';

interface Segment {
  text: string;
  startSample: number;
  endSample: number;
  /** Where each word the engine timed ends, in samples of the reply (empty: the engine gives none). */
  wordEnds: number[];
  /** All its audio was sent. */
  complete: boolean;
}

/**
 * What one reply put on the wire, so that after a barge-in the agent knows what the caller heard.
 * Each clause is a segment of samples; marks queued behind each audio chunk report (from media's
 * socket send callback) how far playout got and when. The heard text is every clause played to
 * its end by the last mark reported more than the playout allowance before the `clear`, plus the
 * words of the clause then playing: those whose audio played to its end when the engine timed its
 * words (`words()`), else a share in proportion to its samples played. An estimate either way
 * (marks are 20 ms apart, jitter buffers vary), labelled so.
 */
export class SpokenReply {
  readonly #segments: Segment[] = [];
  readonly #played: Array<{ sample: number; atMs: number }> = [];
  #sentSamples = 0;

  /** A clause starts; its audio follows through `sent()`. */
  clause(text: string): void {
    this.#segments.push({
      text,
      startSample: this.#sentSamples,
      endSample: this.#sentSamples,
      wordEnds: [],
      complete: false,
    });
  }

  /** The engine timed these words of the current clause (ms from its first sample). */
  words(timings: readonly WordTiming[]): void {
    const last = this.#segments.at(-1);
    if (last) for (const t of timings) last.wordEnds.push(last.startSample + Math.round(t.endMs * 8));
  }

  /** The current clause's audio was all sent. */
  clauseSent(): void {
    const last = this.#segments.at(-1);
    if (last) last.complete = true;
  }

  /** `samples` more of the current clause were queued; returns the position to mark. */
  sent(samples: number): number {
    this.#sentSamples += samples;
    const last = this.#segments.at(-1);
    if (last) last.endSample = this.#sentSamples;
    return this.#sentSamples;
  }

  /** A mark behind `sample` was reported played at `atMs` (any clock, the same as `heardText`'s). */
  played(sample: number, atMs: number): void {
    this.#played.push({ sample, atMs });
  }

  /** Everything sent, as text. */
  get text(): string {
    return this.#segments.map((s) => s.text).join(' ');
  }

  /** The estimated heard text for a `clear` at `clearAtMs` (empty when nothing counts as heard). */
  heardText(clearAtMs: number, allowanceMs = DEFAULT_PLAYOUT_ALLOWANCE_MS): string {
    const heardSamples = this.#heardSamples(clearAtMs, allowanceMs);
    const words: string[] = [];
    for (const segment of this.#segments) {
      if (segment.startSample >= heardSamples) break;
      const all = segment.text.split(/\s+/).filter((w) => w !== '');
      words.push(...all.slice(0, heardWords(segment, all.length, heardSamples)));
    }
    return words.join(' ');
  }

  /** How many clauses, from the first, count as heard to their end for a `clear` at `clearAtMs`. */
  heardClauses(clearAtMs: number, allowanceMs = DEFAULT_PLAYOUT_ALLOWANCE_MS): number {
    const heardSamples = this.#heardSamples(clearAtMs, allowanceMs);
    let whole = 0;
    for (const segment of this.#segments) {
      // A clause with no audio sent yet was not heard, wherever it sits.
      if (segment.endSample <= segment.startSample || segment.endSample > heardSamples) break;
      whole++;
    }
    return whole;
  }

  #heardSamples(clearAtMs: number, allowanceMs: number): number {
    let heardSamples = 0;
    for (const mark of this.#played)
      if (mark.atMs <= clearAtMs - allowanceMs) heardSamples = Math.max(heardSamples, mark.sample);
    return heardSamples;
  }
}

/**
 * How many of a clause's `count` words were heard. With the engine's timings: the words whose audio
 * ended by `heardSamples`, the engine's words taken one for one with ours (both split at spaces of
 * the same text); a clause played out whole counts whole even if timings are missing. Without:
 * the share of its samples played.
 */
function heardWords(segment: Segment, count: number, heardSamples: number): number {
  if (segment.complete && segment.endSample <= heardSamples) return count;
  if (segment.wordEnds.length > 0) return Math.min(count, segment.wordEnds.filter((end) => end <= heardSamples).length);
  const length = segment.endSample - segment.startSample;
  const share = length <= 0 ? 1 : Math.min(1, (heardSamples - segment.startSample) / length);
  return Math.floor(count * share);
}
