const FRAME_MS = 20;
/** How often a judge past its window looks again whether the caller went quiet. */
const RECHECK_MS = 50;

/**
 * Words a listener says to show they follow, not to take the turn ("mm-hm", "okay"), and what a
 * recogniser makes of a cough or a breath. Compared after lower-casing and dropping punctuation.
 */
export const BACKCHANNEL_WORDS: readonly string[] = [
  'uh-huh',
  'uh',
  'huh',
  'um',
  'umm',
  'mm',
  'mmm',
  'mm-hm',
  'mm-hmm',
  'mhm',
  'hm',
  'hmm',
  'ah',
  'oh',
  'yeah',
  'yep',
  'yes',
  'ok',
  'okay',
  'right',
  'sure',
  'alright',
  'i',
  'see',
];

export type InterruptionVerdict = 'interruption' | 'noise' | 'backchannel';

export interface InterruptionJudgeOptions {
  /** Caller voice since the barge-in began that makes it an interruption whatever is recognised. Default 600 ms. */
  confirmVoiceMs?: number;
  /** How long after the barge-in fired words may still come before the reply resumes. Default 1000 ms. */
  resumeAfterMs?: number;
  /** The caller must have been quiet this long before the reply resumes. Default 200 ms. */
  quietMs?: number;
  /** A caller still talking this long after the barge-in fired is interrupting. Default 3000 ms. */
  maxJudgeMs?: number;
  /** Replaces `BACKCHANNEL_WORDS`. */
  backchannels?: readonly string[];
}

/** The words of `text`, lower case, punctuation but in-word hyphens and apostrophes dropped. */
export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\- ]+/gu, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^[-']+|[-']+$/g, ''))
    .filter((w) => w !== '');
}

/** Nothing but backchannel words (or nothing at all). */
export function isBackchannel(text: string, words: readonly string[] = BACKCHANNEL_WORDS): boolean {
  return wordsOf(text).every((w) => words.includes(w));
}

/**
 * Decides, after a barge-in fired and the reply paused, whether the caller really took the turn.
 * An interruption: words other than backchannels recognised, or voice adding up to
 * `confirmVoiceMs`, or a caller still talking at `maxJudgeMs`. Otherwise, once `resumeAfterMs`
 * passed and the caller has been quiet for `quietMs`, it was noise (a cough, a door, a click) or a
 * backchannel ("mm-hm" recognised), and the reply resumes.
 *
 * Why these numbers: a cough is 100–300 ms of voice-level energy, a backchannel 200–500 ms; a
 * question is a second and more, of which 60–70% of the frames are over the threshold, so 600 ms
 * of voice is reached within about a second of its onset. A streaming recogniser names a word in
 * an interim well within the second; pocketsphinx gives its final 600–850 ms after the caller
 * stops, so a one-word "stop" of 400 ms is recognised only after the window: the reply then
 * resumes, and "stop" is answered as the next turn.
 */
export class InterruptionJudge {
  readonly verdict: Promise<InterruptionVerdict>;
  readonly #confirmFrames: number;
  readonly #resumeAtMs: number;
  readonly #quietMs: number;
  readonly #giveUpAtMs: number;
  readonly #backchannels: readonly string[];
  readonly #now: () => number;
  #voiceFrames: number;
  #lastVoiceAtMs: number;
  #backchannel = false;
  #timer: NodeJS.Timeout | undefined;
  #settle: ((verdict: InterruptionVerdict) => void) | undefined;

  /** `voiceFrames`: the voice frames that made the barge-in fire, already counted. */
  constructor(voiceFrames: number, options: InterruptionJudgeOptions = {}, now: () => number = Date.now) {
    this.#now = now;
    const startMs = now();
    this.#confirmFrames = Math.ceil((options.confirmVoiceMs ?? 600) / FRAME_MS);
    this.#resumeAtMs = startMs + (options.resumeAfterMs ?? 1000);
    this.#quietMs = options.quietMs ?? 200;
    this.#giveUpAtMs = startMs + Math.max(options.maxJudgeMs ?? 3000, options.resumeAfterMs ?? 1000);
    this.#backchannels = options.backchannels ?? BACKCHANNEL_WORDS;
    this.#voiceFrames = voiceFrames;
    this.#lastVoiceAtMs = startMs;
    this.verdict = new Promise((resolve) => (this.#settle = resolve));
    this.#schedule(this.#resumeAtMs - startMs);
  }

  get pending(): boolean {
    return this.#settle !== undefined;
  }

  /** One caller frame: voice or not, by the barge-in detector's rule. */
  onFrame(voice: boolean): void {
    if (!voice || !this.pending) return;
    this.#voiceFrames++;
    this.#lastVoiceAtMs = this.#now();
    if (this.#voiceFrames >= this.#confirmFrames) this.#decide('interruption');
  }

  /** Any transcript, interim or final. */
  onTranscript(text: string): void {
    if (!this.pending || wordsOf(text).length === 0) return;
    if (isBackchannel(text, this.#backchannels)) this.#backchannel = true;
    else this.#decide('interruption');
  }

  /** Nobody waits for the verdict any more: it is an interruption (the reply is not resumed). */
  close(): void {
    this.#decide('interruption');
  }

  #check = (): void => {
    this.#timer = undefined;
    const now = this.#now();
    if (now - this.#lastVoiceAtMs >= this.#quietMs) this.#decide(this.#backchannel ? 'backchannel' : 'noise');
    else if (now >= this.#giveUpAtMs) this.#decide('interruption');
    else this.#schedule(RECHECK_MS);
  };

  #schedule(ms: number): void {
    this.#timer = setTimeout(this.#check, Math.max(0, ms));
  }

  #decide(verdict: InterruptionVerdict): void {
    const settle = this.#settle;
    if (settle === undefined) return;
    this.#settle = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    settle(verdict);
  }
}
