/**
 * Turns a model's token stream into speakable clauses, so text-to-speech can start on the first
 * clause while the model is still writing the rest. A clause ends at `. ! ? ; :` followed by white
 * space, at `,` once the clause is long enough to be worth a pause, or at a line break; trailing
 * quotes and brackets stay with it. The decision waits for the character after the punctuation, so
 * `3.5`, `10:30` and `1,000` are never split even when a token boundary falls inside them, and
 * common abbreviations (`e.g.`, `Dr.`), initials (`J. Smith`) and list numbers (`1.`) are not
 * sentence ends. A run-on longer than `maxChars` is cut at its last space. Pure: no I/O, no timers.
 *
 * Emitted clauses are trimmed, with white space collapsed to single spaces; never empty.
 */
export interface SentenceChunkerOptions {
  /** A comma ends a clause only once the clause has at least this many characters. Default 24. */
  commaMinChars?: number;
  /** A clause longer than this is cut at its last space before the limit. Default 250. */
  maxChars?: number;
}

const TERMINATORS = new Set(['.', '!', '?', ';', ':']);
const PUNCTUATION = new Set(['.', '!', '?', ';', ':', ',']);
const CLOSERS = new Set(['"', "'", ')', ']', '}', '\u201d', '\u2019', '\u00bb']);
const OPENERS = /^["'(\[{\u201c\u2018\u00ab]+/;
/**
 * Lower-case, without the final dot. Words with an inner dot (`e.g`, `u.s`) are caught separately.
 * Not `no` (as in `No. 5`): "I'm afraid not, no." ends far more spoken sentences.
 */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'mt',
  'vs',
  'approx',
  'dept',
  'fig',
  'cf',
  'al',
  'ca',
]);

export class SentenceChunker {
  readonly #commaMinChars: number;
  readonly #maxChars: number;
  #pending = '';
  /** Where the next scan starts: everything before it was already found not to end a clause. */
  #scanFrom = 0;

  constructor(options: SentenceChunkerOptions = {}) {
    this.#commaMinChars = options.commaMinChars ?? 24;
    this.#maxChars = options.maxChars ?? 250;
  }

  /** Adds the next piece of text; returns the clauses it completed (often none). */
  push(delta: string): string[] {
    this.#pending += delta;
    const clauses: string[] = [];
    for (let end = this.#nextBoundary(); end !== undefined; end = this.#nextBoundary()) {
      this.#emit(this.#pending.slice(0, end), clauses);
      this.#pending = this.#pending.slice(end);
      this.#scanFrom = 0;
    }
    this.#cutRunOn(clauses);
    return clauses;
  }

  /** The text ended: returns what is left as the last clause(s) and starts afresh. */
  flush(): string[] {
    const clauses: string[] = [];
    this.#emit(this.#pending, clauses);
    this.#pending = '';
    this.#scanFrom = 0;
    return clauses;
  }

  /** The end (exclusive) of the first complete clause in the pending text, if one is complete yet. */
  #nextBoundary(): number | undefined {
    const text = this.#pending;
    for (let i = this.#scanFrom; i < text.length; i++) {
      const char = text[i] as string;
      if (char === '\n' || char === '\r') {
        if (text.slice(0, i).trim() !== '') return i + 1;
        continue;
      }
      if (!PUNCTUATION.has(char)) continue;
      let end = i + 1;
      while (end < text.length && (PUNCTUATION.has(text[end] as string) || CLOSERS.has(text[end] as string))) end++;
      if (end === text.length) {
        // The next character decides (`3.` may become `3.5`): wait for it.
        this.#scanFrom = i;
        return undefined;
      }
      if (/\s/.test(text[end] as string) && this.#endsClause(text, i)) return end;
      i = end - 1;
    }
    this.#scanFrom = text.length;
    return undefined;
  }

  /** Whether the punctuation at `at`, followed by white space, ends the clause that precedes it. */
  #endsClause(text: string, at: number): boolean {
    const char = text[at] as string;
    const clause = text.slice(0, at).trim();
    if (clause === '') return false;
    if (char === ',') return clause.length >= this.#commaMinChars;
    if (!TERMINATORS.has(char)) return false;
    if (char !== '.' || text[at + 1] === '.') return true;
    const word = (clause.split(/\s+/).pop() ?? '').replace(OPENERS, '');
    if (/^\d+$/.test(clause)) return false;
    if (/^[A-Z]$/.test(word)) return false;
    if (word.includes('.')) return false;
    return !ABBREVIATIONS.has(word.toLowerCase());
  }

  #cutRunOn(clauses: string[]): void {
    while (this.#pending.trim().length > this.#maxChars) {
      const text = this.#pending.replace(/^\s+/, '');
      const space = text.lastIndexOf(' ', this.#maxChars);
      const cut = space > 0 ? space : this.#maxChars;
      this.#emit(text.slice(0, cut), clauses);
      this.#pending = text.slice(cut);
      this.#scanFrom = 0;
    }
  }

  #emit(text: string, clauses: string[]): void {
    const clause = text.replace(/\s+/g, ' ').trim();
    if (clause === '') return;
    if (clause.length <= this.#maxChars) {
      clauses.push(clause);
      return;
    }
    let rest = clause;
    while (rest.length > this.#maxChars) {
      const space = rest.lastIndexOf(' ', this.#maxChars);
      const cut = space > 0 ? space : this.#maxChars;
      clauses.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (rest !== '') clauses.push(rest);
  }
}

/** Clauses from a stream of text deltas, each as soon as it is complete; the rest when the stream ends. */
export async function* speakableClauses(
  deltas: AsyncIterable<string>,
  options?: SentenceChunkerOptions,
): AsyncGenerator<string> {
  const chunker = new SentenceChunker(options);
  for await (const delta of deltas) yield* chunker.push(delta);
  yield* chunker.flush();
}
