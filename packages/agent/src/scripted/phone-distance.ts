/**
 * How far apart two phones of the CMU set (39 phones, no stress marks, as pocketsphinx-en-us ships
 * it) sound over a phone line, for aligning what was heard against a keyword's pronunciation.
 * The recogniser's errors on flite speech through G.711 are mostly near sounds: voicing
 * ("bread" → "brett", "parking" → "barking"), a vowel for a vowel ("books" → "bugs"), a dropped
 * consonant ("bread" → "bed"). Those cost less than an unrelated phone, so a near sound counts for
 * less of the keyword than a wrong one.
 */

const VOWELS = new Set(['AA', 'AE', 'AH', 'AO', 'AW', 'AY', 'EH', 'ER', 'EY', 'IH', 'IY', 'OW', 'OY', 'UH', 'UW']);

/** Consonants that differ only in voicing. */
const VOICING_PAIRS = [
  ['P', 'B'],
  ['T', 'D'],
  ['K', 'G'],
  ['F', 'V'],
  ['S', 'Z'],
  ['TH', 'DH'],
  ['CH', 'JH'],
  ['SH', 'ZH'],
];

/** Sounds made alike (same manner of articulation): confused more often than unrelated ones. */
const CLASSES = [
  ['P', 'B', 'T', 'D', 'K', 'G'],
  ['F', 'V', 'TH', 'DH', 'S', 'Z', 'SH', 'ZH', 'HH'],
  ['CH', 'JH', 'SH', 'ZH'],
  ['M', 'N', 'NG'],
  ['L', 'R', 'ER', 'W', 'Y'],
];

export const VOWEL_COST = 0.5;
export const VOICING_COST = 0.4;
export const CLASS_COST = 0.7;
/** A phone heard that the keyword lacks, or one of the keyword's not heard. */
export const GAP_COST = 1;

const pairKey = (a: string, b: string): string => (a < b ? `${a} ${b}` : `${b} ${a}`);

function costTable(): Map<string, number> {
  const table = new Map<string, number>();
  const set = (a: string, b: string, cost: number): void => {
    const key = pairKey(a, b);
    table.set(key, Math.min(cost, table.get(key) ?? 1));
  };
  for (const group of CLASSES) for (const a of group) for (const b of group) if (a !== b) set(a, b, CLASS_COST);
  for (const [a, b] of VOICING_PAIRS) set(a!, b!, VOICING_COST);
  for (const a of VOWELS) for (const b of VOWELS) if (a !== b) set(a, b, VOWEL_COST);
  return table;
}

const COSTS = costTable();

/** 0 for the same phone, up to 1 for unrelated ones. */
export function phoneCost(a: string, b: string): number {
  if (a === b) return 0;
  return COSTS.get(pairKey(a, b)) ?? 1;
}

export function isVowel(phone: string): boolean {
  return VOWELS.has(phone);
}

/**
 * The cheapest alignment of the whole `keyword` against any stretch of `heard` that starts where a
 * heard word starts (`wordStarts`, indices into `heard`): weighted edit distance where the heard
 * phones before and after the stretch are free. Starting on a word boundary keeps a keyword from
 * being found inside the middle of an unrelated longer word. Divided by the keyword's length:
 * 0 is an exact hit, 0.25 one phone of four missing.
 */
export function keywordDistance(
  keyword: readonly string[],
  heard: readonly string[],
  wordStarts: ReadonlySet<number>,
): number {
  if (keyword.length === 0) return Infinity;
  // previous[j]: cost of aligning keyword[0..i) to a stretch ending at heard[j), started at a word start.
  let previous = new Array<number>(heard.length + 1);
  // Row 0: a stretch starts at a word start for free; heard phones before the keyword's first are gaps.
  for (let j = 0; j <= heard.length; j++)
    previous[j] = wordStarts.has(j) ? 0 : j === 0 ? GAP_COST : previous[j - 1]! + GAP_COST;
  for (let i = 1; i <= keyword.length; i++) {
    const current = new Array<number>(heard.length + 1);
    current[0] = previous[0]! + GAP_COST;
    for (let j = 1; j <= heard.length; j++) {
      current[j] = Math.min(
        previous[j - 1]! + phoneCost(keyword[i - 1]!, heard[j - 1]!),
        previous[j]! + GAP_COST,
        current[j - 1]! + GAP_COST,
      );
    }
    previous = current;
  }
  return Math.min(...previous) / keyword.length;
}
