import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '@voicebridge/protocol';
import { conversationWav } from '../src/audio-fixtures.ts';
import { baresipCall, type BaresipCall } from '../src/baresip.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { assertBridgeIdle, callRecords } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import {
  loadAnswers,
  loadQuestions,
  type KeywordAnswer,
  type SpokenQuestion,
} from '../../packages/agent/test/fixtures/keyword-questions/keyword-questions.ts';

const NUMBER = '+15550142';
const FALLBACK = 'Sorry, I cannot help with that.';
const INTERRUPTED = '[interrupted; estimated heard text]';

/**
 * Questions of the held-out set (packages/agent/test/fixtures/keyword-questions, never used to
 * choose the sound threshold), each in the flite voice the set gives it (all five voices): one
 * naming no keyword first (the call's first question was the one most often misheard), one per
 * keyword, then another naming none. Both of those get the fallback. The keyword questions are
 * among those the keyword bench's recogniser heard (it hears about half the set:
 * docs/configuration.md).
 */
const ASKED = [
  'Hello is anyone there',
  'Can I buy tickets online',
  'What price do you charge',
  'Is there any bread left',
  'Is there parking near you',
  'I would like a coffee',
  'What is the address',
  'Tell me your hours',
  'I want to sell my books',
  'Do you speak French',
];

/**
 * Of the eight keyword questions, answered with their own answer at least: half, the held-out
 * rate the bench measures. The same call is not heard the same twice on a loaded box (RTP timing,
 * baresip's own pacing): 5 to 8 of 8 in four runs at load averages 11-16 (the header).
 */
const MIN_HITS = 4;

/** Silence after each question: its final (0.6-0.9 s after it, seconds more on a loaded box) and a ~2.5 s answer. */
const SILENCE_AFTER_S = 9;
/** After the last question: its final, the fallback, and the record's last line before the caller hangs up. */
const LAST_SILENCE_S = 14;

/** Whether the keyword is written in what was heard (or with a plural ending added or taken off): else it came by sound. */
function spelled(heard: string, keyword: string): boolean {
  const forms = [keyword, `${keyword}s`, `${keyword}es`, keyword.replace(/s$/, '')];
  return heard
    .toLowerCase()
    .split(/[^a-z']+/)
    .some((word) => forms.includes(word));
}

/** How an answer appears in the record: whole, or its heard start when the next question cut it. */
function answeredWith(said: string, answer: string): boolean {
  if (said === answer) return true;
  if (!said.endsWith(INTERRUPTED)) return false;
  const heard = said.slice(0, -INTERRUPTED.length).trim();
  return heard !== '' && answer.startsWith(heard);
}

/**
 * Matches the agent's replies, in order, to the questions: a question is a hit when its keyword's
 * answer comes after the previous hit's; a reply with a keyword answer matched to no question is a
 * false hit. Pairing by order, not by caller line, so a question the recogniser split in two finals
 * (two replies, the first the fallback) still counts once.
 */
function scoreCall(
  questions: readonly SpokenQuestion[],
  replies: readonly string[],
  answers: readonly KeywordAnswer[],
): { hits: string[]; falseHits: string[]; fallbackFirstAndLast: boolean } {
  const hits: string[] = [];
  const matched = new Set<number>();
  let from = 0;
  for (const question of questions) {
    const answer = answers.find((a) => a.keyword === question.keyword)?.text;
    if (answer === undefined) continue;
    const at = replies.findIndex((reply, i) => i >= from && answeredWith(reply, answer));
    if (at < 0) continue;
    hits.push(question.keyword!);
    matched.add(at);
    from = at + 1;
  }
  const falseHits = replies.filter((reply, i) => !matched.has(i) && answers.some((a) => answeredWith(reply, a.text)));
  return {
    hits,
    falseHits,
    fallbackFirstAndLast: answeredWith(replies[0] ?? '', FALLBACK) && answeredWith(replies.at(-1) ?? '', FALLBACK),
  };
}

/**
 * A real call (baresip, G.711 μ-law, the real bridge with the offline engines) to a scripted
 * number configured with the keyword set's eight keywords and answers: questions from the held-out
 * set are answered with their keyword's answer, and two naming no keyword get the fallback.
 * The hit count, the heard words and how many answers were found only by sound are printed.
 * Measured on a shared 2-core box, keyword questions only: with "Hello is anyone there" first, 8
 * of 8 at a load average of about 15; without it, 7 of 8 at 13.7 and 5 of 8 at 16 (the tickets
 * question, then first, heard as "can i buy to get online"; "What is the address" and "Tell me
 * your hours" missed in both); slt's hours question first, 6 of 8 at 11.6.
 */
describe('real call: the scripted agent answers held-out spoken questions by keyword (baresip)', function () {
  this.timeout(300_000);
  let bridge: RunningBridge;
  let dir: string;
  let call: BaresipCall | undefined;
  let answers: KeywordAnswer[];
  let questions: SpokenQuestion[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-real-call-keywords-'));
    answers = await loadAnswers();
    const heldOut = await loadQuestions('held-out');
    questions = ASKED.map((text) => {
      const question = heldOut.find((q) => q.text === text);
      if (!question) throw new Error(`"${text}" is not in the held-out set`);
      return question;
    });
    bridge = await startBridge({ env: { GREETING_DELAY_MS: '200', STT_POOL_SIZE: '1' } });
  });
  after(async () => {
    await call?.cleanup();
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('held-out questions get their keyword’s answer (at least half, none another’s), those naming none the fallback', async () => {
    const set = await bridge.cli([
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'scripted',
      '--greeting',
      'Hello.',
      ...answers.flatMap((a) => ['--answer', `${a.keyword}=${a.text}`]),
      '--fallback',
      FALLBACK,
    ]);
    expect(set.code, set.stderr).to.equal(0);
    const mic = join(dir, 'questions.wav');
    await conversationWav(
      mic,
      3,
      questions.map((q, i) => ({
        text: q.text,
        voice: q.voice,
        silenceAfterS: i === questions.length - 1 ? LAST_SILENCE_S : SILENCE_AFTER_S,
      })),
    );
    call = await baresipCall({ uri: `sip:${NUMBER}@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 150 });
    const records = callRecords(bridge);
    const record = await waitFor(
      'the call record ended',
      30_000,
      async () => (await records.listRecent({ limit: 10 })).find((r) => r.number === NUMBER && r.status === 'ended'),
      { everyMs: 200 },
    );
    expect(record.verdict, JSON.stringify(record.verdict)).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    const full = (await records.get(record.callId)) as CallRecord;

    // Each caller line and the agent line that answered it (none when the call ended first).
    const turns: { heard: string; said: string }[] = [];
    for (const [i, entry] of full.transcript.entries()) {
      if (entry.speaker !== 'caller') continue;
      const next = full.transcript[i + 1];
      turns.push({ heard: entry.text, said: next?.speaker === 'agent' ? next.text : '' });
    }
    const score = scoreCall(
      questions,
      turns.map((t) => t.said),
      answers,
    );
    const asked = questions.filter((q) => q.keyword !== undefined).length;
    const bySound = turns.filter((t) =>
      answers.some((a) => answeredWith(t.said, a.text) && !spelled(t.heard, a.keyword)),
    ).length;
    process.stdout.write(
      `      held-out questions on a real call: keyword hits ${score.hits.length}/${asked} (${bySound} by sound only), false hits ${score.falseHits.length}, the two naming none answered with the fallback: ${score.fallbackFirstAndLast}\n`,
    );
    for (const t of turns) process.stdout.write(`        heard "${t.heard}" → "${t.said}"\n`);
    expect(score.falseHits, 'answers of keywords not asked then').to.deep.equal([]);
    expect(score.fallbackFirstAndLast, 'the first and last questions (no keyword) answered with the fallback').to.equal(
      true,
    );
    expect(score.hits.length, `questions answered with their own answer: ${score.hits.join(', ')}`).to.be.at.least(
      MIN_HITS,
    );
  });

  it('leaves the bridge idle: no live record, no job, no key without a TTL, every RTP port free', async () => {
    await assertBridgeIdle(bridge, 10_000);
  });
});
