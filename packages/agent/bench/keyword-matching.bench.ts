/**
 * Does the offline demo understand its own questions? Two synthetic sets of spoken questions
 * (packages/agent/test/fixtures/keyword-questions: 40 naming one of eight keywords and 16 naming
 * none, five flite voices, G.711 μ-law) go through the recogniser the scripted agent uses; the
 * heard text is then matched as the scripted agent matches it, by spelling only (before) and by
 * spelling then sound (after). The sound threshold is chosen on the tuning set and reported on the
 * held-out one. Rates are printed, never asserted. About 5 minutes on 2 shared cores, most of it
 * pocketsphinx: two decoders, so at most two questions in flight, each decoder
 * hearing its own fixed share in order (the transcripts repeat from run to run).
 *
 *   node --import tsx packages/agent/bench/keyword-matching.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_SOUND_THRESHOLD, PronunciationMatcher } from '../src/scripted/pronunciation-matcher.ts';
import { PronouncingDictionary } from '../src/scripted/pronouncing-dictionary.ts';
import { ScriptedDialogue } from '../src/scripted/scripted-dialogue.ts';
import { POCKETSPHINX_DEFAULTS } from '../src/stt/pocketsphinx-pool.ts';
import { FliteTts } from '../src/tts/flite-tts.ts';
import {
  loadAnswers,
  loadQuestions,
  type KeywordAnswer,
  type QuestionSet,
} from '../test/fixtures/keyword-questions/keyword-questions.ts';
import { hearQuestions, type HeardQuestion } from './spoken-questions.ts';

const DECODERS = 2;
const THRESHOLDS = Array.from({ length: 10 }, (_, i) => (i + 1) / 20);

export interface KeywordScore {
  questions: number;
  /** Questions that name a keyword. */
  asked: number;
  /** Of those, answered with their keyword's answer. */
  hits: number;
  /** Answered with another keyword's answer: a keyword question's wrong one, or any for one naming none. */
  falseHits: number;
  misses: string[];
}

/** Scores what the agent would answer for each heard question. */
export function scoreKeywords(heard: readonly HeardQuestion[], dialogue: ScriptedDialogue): KeywordScore {
  const score: KeywordScore = { questions: heard.length, asked: 0, hits: 0, falseHits: 0, misses: [] };
  for (const question of heard) {
    const topic = dialogue.topicOf(question.heard);
    if (question.keyword !== undefined) score.asked++;
    if (topic !== undefined && topic === question.keyword) score.hits++;
    else if (topic !== undefined) {
      score.falseHits++;
      score.misses.push(
        `"${question.heard}" taken for ${topic} (${question.keyword ?? 'no keyword'}, ${question.voice})`,
      );
    } else if (question.keyword !== undefined)
      score.misses.push(`"${question.heard}" missed ${question.keyword} (${question.voice})`);
  }
  return score;
}

const percent = (part: number, whole: number): string => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`;
const line = (label: string, s: KeywordScore): string =>
  `${label}: keyword hits ${s.hits}/${s.asked} (${percent(s.hits, s.asked)}), false hits ${s.falseHits}/${s.questions} (${percent(s.falseHits, s.questions)})`;

/** The most hits with no more false hits than spelling alone; the lowest such threshold. */
export function chooseThreshold(
  heard: readonly HeardQuestion[],
  answers: readonly KeywordAnswer[],
  dictionary: PronouncingDictionary,
): number {
  const before = scoreKeywords(heard, new ScriptedDialogue({ answers: [...answers] }));
  let best = { threshold: 0, hits: before.hits };
  for (const threshold of THRESHOLDS) {
    const after = scoreKeywords(
      heard,
      new ScriptedDialogue({ answers: [...answers] }, new PronunciationMatcher(dictionary, threshold)),
    );
    if (after.falseHits <= before.falseHits && after.hits > best.hits) best = { threshold, hits: after.hits };
  }
  return best.threshold;
}

export async function run(): Promise<void> {
  const out = (text: string): void => console.log(text);
  const signal = AbortSignal.timeout(30 * 60_000);
  const answers = await loadAnswers();
  const dictionary = new PronouncingDictionary(POCKETSPHINX_DEFAULTS.dictPath);
  await dictionary.load(signal);
  const tts = new FliteTts();
  const heard = new Map<QuestionSet, HeardQuestion[]>();
  for (const set of ['tuning', 'held-out'] as const) {
    const startedAt = performance.now();
    const questions = await loadQuestions(set);
    const keywords = answers.map((a) => a.keyword);
    heard.set(set, await hearQuestions(questions, { tts, keywords }, DECODERS, signal));
    out(
      `${set}: ${questions.length} questions (synthetic: flite ${[...new Set(questions.map((q) => q.voice))].join(', ')}; G.711 μ-law) recognised in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`,
    );
  }
  for (const threshold of THRESHOLDS) {
    const s = scoreKeywords(
      heard.get('tuning')!,
      new ScriptedDialogue({ answers }, new PronunciationMatcher(dictionary, threshold)),
    );
    out(`  tuning at ${threshold.toFixed(2)}: hits ${s.hits}/${s.asked}, false hits ${s.falseHits}/${s.questions}`);
  }
  const threshold = chooseThreshold(heard.get('tuning')!, answers, dictionary);
  out(
    `threshold chosen on the tuning set: ${threshold} (shipped DEFAULT_SOUND_THRESHOLD ${DEFAULT_SOUND_THRESHOLD}${threshold === DEFAULT_SOUND_THRESHOLD ? '' : ': DIFFERS'})`,
  );
  for (const set of ['tuning', 'held-out'] as const) {
    const before = scoreKeywords(heard.get(set)!, new ScriptedDialogue({ answers }));
    const after = scoreKeywords(
      heard.get(set)!,
      new ScriptedDialogue({ answers }, new PronunciationMatcher(dictionary, DEFAULT_SOUND_THRESHOLD)),
    );
    out(line(`${set} before (spelling)`, before));
    out(line(`${set} after (spelling, then sound ≤ ${DEFAULT_SOUND_THRESHOLD})`, after));
    if (set === 'held-out') for (const miss of after.misses) out(`  ${miss}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
