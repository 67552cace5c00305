/**
 * The words of a transcript as compared for "the same": lower case, punctuation and case dropped
 * (recognisers format finals differently from interims: "Do you open, Sunday?" vs "do you open
 * sunday"), apostrophes inside words kept ("it's" is not "its"), one space between words.
 */
export function normalisedWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, '$1')
    .trim()
    .replace(/\s+/g, ' ');
}

/** Whether two transcripts differ by any added, removed or changed word (after `normalisedWords`). */
export function wordsDiffer(a: string, b: string): boolean {
  return normalisedWords(a) !== normalisedWords(b);
}

/** The clock and timer of `StablePartial`; injectable so tests can step time. */
export interface StableClock {
  now(): number;
  setTimer(ms: number, fire: () => void): () => void;
}

const realClock: StableClock = {
  now: () => performance.now(),
  setTimer: (ms, fire) => {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

export interface StablePartialOptions {
  /** How long the words and the caller's silence must hold. */
  stableMs: number;
  /** Called once per distinct wording that held `stableMs` (its text as the recogniser gave it). */
  onStable: (text: string) => void;
  clock?: StableClock;
}

/**
 * Decides when an interim transcript is stable: its words unchanged, and no caller voice, for
 * `stableMs`. The silence matters as much as the words: a streaming recogniser's interim lags the
 * audio, so words that did not change while the caller is still talking say only that the
 * recogniser has not caught up. A provider's own end-of-turn signal on an interim (AssemblyAI's
 * unformatted `end_of_turn` ahead of its formatted turn) makes it stable at once.
 */
export class StablePartial {
  readonly #stableMs: number;
  readonly #onStable: (text: string) => void;
  readonly #clock: StableClock;
  #text = '';
  #words = '';
  /** When the words last changed or the caller's voice was last heard, whichever is later. */
  #sinceMs = 0;
  #fired = false;
  #cancelTimer: (() => void) | undefined;

  constructor(options: StablePartialOptions) {
    this.#stableMs = options.stableMs;
    this.#onStable = options.onStable;
    this.#clock = options.clock ?? realClock;
  }

  /** An interim transcript; `endpoint` when the provider said the turn ended. */
  interim(text: string, endpoint = false): void {
    const words = normalisedWords(text);
    if (words === '') return;
    if (words !== this.#words) {
      this.#words = words;
      this.#text = text.trim();
      this.#fired = false;
      this.#sinceMs = this.#clock.now();
      this.#arm(this.#stableMs);
    }
    if (endpoint) this.#fire();
  }

  /** A voiced caller frame: the stretch of silence starts again. */
  voice(): void {
    if (this.#words === '' || this.#fired) return;
    this.#sinceMs = this.#clock.now();
  }

  /** The turn is over (a final came): forget the words. */
  reset(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#text = '';
    this.#words = '';
    this.#fired = false;
  }

  close(): void {
    this.reset();
  }

  #arm(ms: number): void {
    this.#cancelTimer?.();
    // One timer per wording, re-armed for what is left when voice moved the start: not one per frame.
    this.#cancelTimer = this.#clock.setTimer(ms, () => {
      this.#cancelTimer = undefined;
      const leftMs = this.#sinceMs + this.#stableMs - this.#clock.now();
      if (leftMs > 0) this.#arm(leftMs);
      else this.#fire();
    });
  }

  #fire(): void {
    if (this.#fired || this.#words === '') return;
    this.#fired = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#onStable(this.#text);
  }
}
