import { readFile } from 'node:fs/promises';
import { abortable } from './abortable.ts';

/**
 * Which words the recogniser can never output because its dictionary lacks them. The language
 * model only proposes dictionary words, so a keyword missing here is one a caller can never hit:
 * worth a warning to whoever configured the number. Loads the dictionary (~3.6 MB) on first use.
 */
export class PocketsphinxVocabulary {
  readonly #dictPath: string;
  #text: Promise<string> | undefined;

  constructor(dictPath: string) {
    this.#dictPath = dictPath;
  }

  async missing(words: readonly string[], signal: AbortSignal): Promise<string[]> {
    if (words.length === 0) return [];
    this.#text ??= readFile(this.#dictPath, 'latin1').then((text) => `\n${text}`);
    const text = await abortable(this.#text, signal);
    const tokens = words.flatMap((word) => word.toLowerCase().split(/\s+/)).filter((token) => token !== '');
    // Entries are `word PHONES…` with alternates as `word(2) PHONES…`.
    return [...new Set(tokens)].filter((token) => !text.includes(`\n${token} `) && !text.includes(`\n${token}(`));
  }
}
