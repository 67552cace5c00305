/**
 * Parses what `pocketsphinx_continuous -infile … -time yes` (0.8 / 5prealpha) prints on stdout at
 * the end of each utterance its VAD detects, then flushes:
 *
 *   what are your opening hours            ← hypothesis line (may be empty)
 *   <s> 4.370 4.450 1.000100               ← word segments: word, start s, end s, posterior
 *   what(2) 4.460 4.710 0.523313             (alternate pronunciations carry "(n)";
 *   <sil> 5.140 5.200 0.999800               fillers are <s> </s> <sil> [NOISE] …)
 *   hours 5.770 6.420 0.999500
 *   </s> 6.430 6.860 1.000000
 *
 * Segment times are frames (10 ms) counted from the first sample the process ever read, across
 * utterances, silence included (ADR 0005 checked this), so they map to stream time by subtracting
 * where the stream started. An utterance is complete at `</s>`, at the next hypothesis line, or when
 * the caller says the output is quiet (`flush`): the backtrace does not always end in `</s>`.
 */
export interface RecognizedWord {
  word: string;
  startMs: number;
  endMs: number;
}

export interface RecognizedUtterance {
  /** Words without fillers, as the hypothesis line has them. */
  text: string;
  /** Non-filler words with times in ms since the process started reading audio. */
  words: RecognizedWord[];
  /** Span of the whole utterance (fillers included), ms since the process started reading audio. */
  startMs: number;
  endMs: number;
}

const SEGMENT_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?[\d.]+(?:e[-+]?\d+)?)$/;
const ALTERNATE_PRONUNCIATION = /\(\d+\)$/;

function isFiller(word: string): boolean {
  return word.startsWith('<') || word.startsWith('[') || word.startsWith('+');
}

export class PocketsphinxOutputParser {
  readonly #onUtterance: (utterance: RecognizedUtterance) => void;
  #partialLine = '';
  #current: { text: string; words: RecognizedWord[]; startMs: number; endMs: number } | undefined;

  constructor(onUtterance: (utterance: RecognizedUtterance) => void) {
    this.#onUtterance = onUtterance;
  }

  /** Feeds stdout text as it arrives, in any chunking. */
  push(chunk: string): void {
    const lines = (this.#partialLine + chunk).split('\n');
    this.#partialLine = lines.pop() ?? '';
    for (const line of lines) this.#line(line.replace(/\r$/, ''));
  }

  /** Completes an utterance still waiting for more segment lines (the output has gone quiet). */
  flush(): void {
    if (this.#partialLine !== '') {
      const line = this.#partialLine;
      this.#partialLine = '';
      this.#line(line);
    }
    this.#complete();
  }

  #line(line: string): void {
    const segment = SEGMENT_LINE.exec(line);
    if (segment && this.#current) {
      const word = segment[1]!.replace(ALTERNATE_PRONUNCIATION, '');
      const startMs = Math.round(Number(segment[2]) * 1000);
      const endMs = Math.round(Number(segment[3]) * 1000);
      const current = this.#current;
      current.startMs = current.startMs < 0 ? startMs : Math.min(current.startMs, startMs);
      current.endMs = Math.max(current.endMs, endMs);
      if (!isFiller(word)) current.words.push({ word, startMs, endMs });
      if (word === '</s>') this.#complete();
      return;
    }
    this.#complete();
    this.#current = { text: line.trim().replace(/\s+/g, ' '), words: [], startMs: -1, endMs: -1 };
  }

  #complete(): void {
    const current = this.#current;
    if (!current) return;
    this.#current = undefined;
    this.#onUtterance({
      text: current.text,
      words: current.words,
      startMs: Math.max(0, current.startMs),
      endMs: Math.max(0, current.endMs),
    });
  }
}
