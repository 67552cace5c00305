import type { ScriptedAgentConfig } from '@voicebridge/protocol';
import type { PronunciationMatcher } from './pronunciation-matcher.ts';

export type ScriptedDialogueConfig = Pick<ScriptedAgentConfig, 'greeting' | 'answers' | 'fallback'>;

const HEARD = '{heard}';
const TOPICS_LISTED = 5;
const SHORTEST_STEM = 3;

/**
 * The offline "scripted" agent's whole mind: greet, answer the configured text for a keyword, else
 * say what was heard. Deterministic and honest — it never claims to understand more than a keyword.
 *
 * Matching is case-insensitive on whole words; the first configured keyword (in config order) that
 * occurs in what was heard wins, whatever its position in the sentence. A keyword of several words
 * matches as a phrase. Simple plurals match both ways: hour/hours, price/prices,
 * address/addresses, city/cities.
 *
 * With a `PronunciationMatcher`, a keyword no spelling rule finds is also matched by how the heard
 * words sound ("do you tell brett" asks about bread): the closest keyword within the matcher's
 * threshold wins. Spelling goes first, so a keyword actually heard is never overridden by one that
 * only sounds near.
 */
export class ScriptedDialogue {
  readonly #config: ScriptedDialogueConfig;
  readonly #keywords: { tokens: string[]; text: string }[];
  readonly #topics: string;
  readonly #sounds: PronunciationMatcher | undefined;

  constructor(config: ScriptedDialogueConfig, sounds?: PronunciationMatcher) {
    this.#config = config;
    this.#sounds = sounds;
    this.#keywords = config.answers.map((answer) => ({ tokens: tokenize(answer.keyword), text: answer.text }));
    this.#topics = listTopics(config.answers.map((answer) => answer.keyword.trim()));
  }

  greeting(): string {
    const configured = this.#config.greeting?.trim();
    if (configured) return configured;
    return this.#topics
      ? `Hello. You can ask me about ${this.#topics}.`
      : 'Hello. Say something and I will tell you what I heard.';
  }

  /** The configured keyword `heard` matches (the one `reply` answers), if any. */
  topicOf(heard: string): string | undefined {
    const index = this.#matchIndex(tokenize(heard));
    return index === undefined ? undefined : this.#config.answers[index]?.keyword.trim();
  }

  reply(heard: string): string {
    const said = heard.replace(/\s+/g, ' ').trim();
    const words = tokenize(said);
    if (words.length === 0)
      return this.#topics
        ? `Sorry, I did not catch that. You can ask me about ${this.#topics}.`
        : 'Sorry, I did not catch that.';
    const index = this.#matchIndex(words);
    const answer = index === undefined ? undefined : this.#keywords[index];
    if (answer) return answer.text;
    const fallback =
      this.#config.fallback?.trim() ||
      (this.#topics ? `I heard: ${HEARD}. Ask me about ${this.#topics}.` : `I heard: ${HEARD}.`);
    return fallback.split(HEARD).join(said);
  }

  /** The index of the answer whose keyword was heard: by spelling, else by sound. */
  #matchIndex(words: readonly string[]): number | undefined {
    if (words.length === 0) return undefined;
    const spelled = this.#keywords.findIndex((k) => k.tokens.length > 0 && containsPhrase(words, k.tokens));
    if (spelled >= 0) return spelled;
    return this.#sounds?.match(
      words,
      this.#keywords.map((k) => k.tokens),
    )?.index;
  }
}

function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
}

function containsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  for (let start = 0; start + phrase.length <= words.length; start++) {
    if (phrase.every((token, offset) => sameWord(words[start + offset]!, token))) return true;
  }
  return false;
}

function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  const stemsOfA = stems(a);
  return stems(b).some((stem) => stemsOfA.includes(stem));
}

/** The word and what it would be with a plural ending removed: -s (not -ss), -es, -ies → -y. */
function stems(word: string): string[] {
  const forms = [word];
  const add = (stem: string): void => {
    if (stem.length >= SHORTEST_STEM) forms.push(stem);
  };
  if (word.endsWith('ies')) add(`${word.slice(0, -3)}y`);
  if (word.endsWith('es')) add(word.slice(0, -2));
  if (word.endsWith('s') && !word.endsWith('ss')) add(word.slice(0, -1));
  return forms;
}

/** "hours", "hours or price", "hours, price or address"; past five, the first four "and more". */
function listTopics(keywords: readonly string[]): string {
  const topics = keywords.filter((keyword) => keyword !== '');
  if (topics.length === 0) return '';
  if (topics.length > TOPICS_LISTED) return `${topics.slice(0, TOPICS_LISTED - 1).join(', ')} and more`;
  if (topics.length === 1) return topics[0]!;
  return `${topics.slice(0, -1).join(', ')} or ${topics.at(-1)!}`;
}
