import { keywordDistance } from './phone-distance.ts';
import type { PronouncingDictionary } from './pronouncing-dictionary.ts';

/**
 * The distance under which a keyword counts as heard, chosen on the tuning set of spoken questions
 * by `pnpm bench agent` (keyword-matching.bench.ts: the most keyword hits with no more false hits
 * than spelling alone, the lowest such threshold), which reports it on the held-out set. 0.1 lets
 * a voicing slip through ("brett" for "bread", "barking" for "parking"); at 0.25 a keyword of four
 * phones would match with one missing, "bed" for "bread", and the tuning set's false hits begin.
 */
export const DEFAULT_SOUND_THRESHOLD = 0.1;

/** Pronunciations of a keyword of several words tried at most: one per combination of alternates. */
const MAX_KEYWORD_VARIANTS = 16;

export interface PronunciationMatch {
  /** Index of the keyword in the list given to `match`. */
  index: number;
  /** `keywordDistance`: 0 exact, 1 nothing alike. */
  distance: number;
}

/**
 * Finds a configured keyword in what the recogniser heard by how it sounds: the recogniser often
 * writes a keyword as a near-sounding word ("bread" → "brett", "parking" → "barking") that no
 * spelling rule catches. Each heard word is replaced by its dictionary pronunciation, and each
 * keyword is aligned against the heard phones (`keywordDistance`); a keyword within `threshold` is
 * heard. A keyword (or one of its words) missing from the dictionary has no pronunciation and
 * never matches here (its spelling still does, in ScriptedDialogue): a rule as plain as that is
 * easier to explain to whoever configured the number than a letter-to-sound guess, and the
 * recogniser warns about such keywords, which it can never output anyway. A heard word missing from
 * the dictionary (possible with a cloud recogniser) splits the heard phones in two.
 */
export class PronunciationMatcher {
  readonly #dictionary: PronouncingDictionary;
  readonly threshold: number;

  constructor(dictionary: PronouncingDictionary, threshold: number) {
    if (!Number.isFinite(threshold) || threshold < 0 || threshold >= 1)
      throw new RangeError(`threshold must be in [0, 1), got ${threshold}`);
    this.#dictionary = dictionary;
    this.threshold = threshold;
  }

  /** The keyword heard with the smallest distance within the threshold (the first on a tie). */
  match(heardWords: readonly string[], keywords: readonly (readonly string[])[]): PronunciationMatch | undefined {
    const runs = this.#heardRuns(heardWords);
    let best: PronunciationMatch | undefined;
    keywords.forEach((keyword, index) => {
      const distance = this.distance(runs, keyword);
      if (distance <= this.threshold && (best === undefined || distance < best.distance)) best = { index, distance };
    });
    return best;
  }

  /** The distance of one keyword (its words) from heard phone runs (`heardRuns`). */
  distance(runs: readonly HeardRun[], keyword: readonly string[]): number {
    let best = Infinity;
    for (const phones of this.#keywordVariants(keyword))
      for (const run of runs) best = Math.min(best, keywordDistance(phones, run.phones, run.wordStarts));
    return best;
  }

  heardRuns(heardWords: readonly string[]): HeardRun[] {
    return this.#heardRuns(heardWords);
  }

  #heardRuns(heardWords: readonly string[]): HeardRun[] {
    const runs: HeardRun[] = [];
    let run: HeardRun = { phones: [], wordStarts: new Set() };
    for (const word of heardWords) {
      const phones = this.#dictionary.pronunciations(word)[0];
      if (phones === undefined) {
        if (run.phones.length > 0) runs.push(run);
        run = { phones: [], wordStarts: new Set() };
        continue;
      }
      run.wordStarts.add(run.phones.length);
      run.phones.push(...phones);
    }
    if (run.phones.length > 0) runs.push(run);
    return runs;
  }

  #keywordVariants(keyword: readonly string[]): string[][] {
    let variants: string[][] = [[]];
    for (const word of keyword) {
      const pronunciations = this.#dictionary.pronunciations(word);
      if (pronunciations.length === 0) return [];
      variants = variants
        .flatMap((prefix) => pronunciations.map((phones) => [...prefix, ...phones]))
        .slice(0, MAX_KEYWORD_VARIANTS);
    }
    return variants;
  }
}

export interface HeardRun {
  phones: string[];
  /** Indices into `phones` where a heard word starts. */
  wordStarts: Set<number>;
}
