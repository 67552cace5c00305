import { readFile } from 'node:fs/promises';
import { abortable } from '../stt/abortable.ts';

/** Words looked up and remembered; past this the memo starts over (callers say a few hundred words). */
const MEMO_LIMIT = 20_000;

/**
 * Pronunciations from the CMU dictionary the offline recogniser uses (`cmudict-en-us.dict` of
 * Debian's `pocketsphinx-en-us`): `word PHONES…`, alternates as `word(2) PHONES…`, sorted. The
 * file (~3.6 MB) is read once into one string and looked up in place, rather than parsed into
 * 135,000 map entries of which a call uses a few dozen; each word's lookup is remembered. One per agent process, shared by its calls; `load()` may be awaited by each.
 */
export class PronouncingDictionary {
  readonly #path: string;
  #text: Promise<string> | undefined;
  #loaded: string | undefined;
  readonly #memo = new Map<string, readonly (readonly string[])[]>();

  constructor(path: string) {
    this.#path = path;
  }

  get path(): string {
    return this.#path;
  }

  /** Reads the file once; rejects (and lets a later call retry) when it cannot be read. */
  async load(signal: AbortSignal): Promise<void> {
    this.#text ??= readFile(this.#path, 'latin1').then(
      (text) => (this.#loaded = `\n${text}`),
      (error: unknown) => {
        this.#text = undefined;
        throw error;
      },
    );
    await abortable(this.#text, signal);
  }

  get loaded(): boolean {
    return this.#loaded !== undefined;
  }

  /**
   * Every pronunciation of `word` (lower case, as the dictionary spells it), each a list of phones;
   * empty when the word is not in the dictionary or the dictionary is not loaded yet.
   */
  pronunciations(word: string): readonly (readonly string[])[] {
    const text = this.#loaded;
    if (text === undefined || word === '' || /\s/.test(word)) return [];
    const known = this.#memo.get(word);
    if (known) return known;
    const found: string[][] = [];
    const first = text.indexOf(`\n${word} `);
    if (first >= 0) {
      found.push(phonesOfLine(text, first + word.length + 2));
      // Alternates follow the first entry: `word(2)`, `word(3)`, …
      for (let n = 2, at = text.indexOf('\n', first + 1); at >= 0; n++) {
        const prefix = `\n${word}(${n}) `;
        if (!text.startsWith(prefix, at)) break;
        found.push(phonesOfLine(text, at + prefix.length));
        at = text.indexOf('\n', at + 1);
      }
    }
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
    this.#memo.set(word, found);
    return found;
  }
}

function phonesOfLine(text: string, from: number): string[] {
  const end = text.indexOf('\n', from);
  return text
    .slice(from, end < 0 ? undefined : end)
    .trim()
    .split(/\s+/)
    .filter((phone) => phone !== '');
}
