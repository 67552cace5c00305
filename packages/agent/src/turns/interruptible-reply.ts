import { setMaxListeners } from 'node:events';
import { VoicebridgeError } from '@voicebridge/protocol';
import type { CallContext } from '../agents/agent-kind.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { BargeInDetector } from './barge-in-detector.ts';
import type { InterruptionVerdict } from './interruption-judge.ts';
import { DEFAULT_PLAYOUT_ALLOWANCE_MS, SpokenReply } from './spoken-reply.ts';

/**
 * One reply, said clause by clause, that the caller may talk over. When the barge-in detector
 * fires, media is told to `clear` (a 20 ms fade) and synthesis stops: the reply is paused while
 * the detector's judge decides. An interruption aborts `signal` (the model stream follows it) and
 * keeps the estimated heard words and the cut ones. Noise or a backchannel resumes the reply from
 * the start of the clause that was playing, so the caller hears that clause again whole rather
 * than from mid-word; the turn counts a false barge-in. At most `maxResumes` per reply: the next
 * barge-in after them stops it.
 *
 * Heard text is estimated from the playout marks (`SpokenReply`) of each pass, to the word where the
 * engine times its words: the clauses heard whole before a resume, then the heard part of the pass
 * the caller interrupted.
 */
export class InterruptibleReply {
  readonly #call: CallContext;
  readonly #tts: TextToSpeech;
  readonly #bargeIn: BargeInDetector;
  readonly #allowanceMs: number;
  /** Aborted when the caller really interrupted, or the call ended. */
  readonly #stop = new AbortController();
  /** Aborted at each barge-in: only this pass's synthesis and marks. */
  #synth = new AbortController();
  #pass = new SpokenReply();
  /** Every clause given, in order; those before `#passStart` were heard whole before a resume. */
  readonly #clauses: string[] = [];
  #passStart = 0;
  /** A barge-in being judged (and, on a resume, the replay of the paused clauses). */
  #paused: Promise<void> | undefined;
  #heard: string | undefined;
  #resumes = 0;

  constructor(
    call: CallContext,
    tts: TextToSpeech,
    bargeIn: BargeInDetector,
    allowanceMs = DEFAULT_PLAYOUT_ALLOWANCE_MS,
  ) {
    this.#call = call;
    this.#tts = tts;
    this.#bargeIn = bargeIn;
    this.#allowanceMs = allowanceMs;
    // One listener per pending playout mark: a long answer has dozens queued at once.
    setMaxListeners(1000, this.#stop.signal);
    setMaxListeners(1000, this.#synth.signal);
    call.signal.addEventListener('abort', this.#onCallEnd, { once: true });
    bargeIn.speaking(this.#onBargeIn);
  }

  /** Aborted once the caller interrupted the reply (or the call ended). */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** The caller interrupted: the words estimated heard are in `heard`, the rest in `cut`. */
  get interrupted(): boolean {
    return this.#heard !== undefined;
  }

  /** Estimated heard words of an interrupted reply ('' when nothing was heard). */
  get heard(): string {
    return this.#heard ?? '';
  }

  /** The words given to the reply that the caller did not hear (all words but `heard`). */
  get cut(): string {
    const heardWords = this.heard === '' ? 0 : this.heard.split(' ').length;
    return this.text.split(' ').slice(heardWords).join(' ');
  }

  /** Every clause given, joined. */
  get text(): string {
    return this.#clauses.join(' ').replace(/\s+/g, ' ').trim();
  }

  get falseBargeIns(): number {
    return this.#resumes;
  }

  /** Queues one clause (after a barge-in under judgement); false once the caller interrupted. */
  async say(text: string): Promise<boolean> {
    await this.settle();
    if (this.#call.signal.aborted) throw this.#call.signal.reason;
    if (this.#stop.signal.aborted) return false;
    this.#clauses.push(text);
    await this.#synthesize(text);
    return !this.#stop.signal.aborted;
  }

  /** Waits until everything given was played out: true, or false when the caller interrupted. */
  async finish(): Promise<boolean> {
    // Each round but the last ends in a barge-in judged noise: bounded by the resumes allowed.
    for (let round = 0; round <= this.#bargeIn.maxResumes + 1; round++) {
      await this.settle();
      if (this.#call.signal.aborted) throw this.#call.signal.reason;
      if (this.#stop.signal.aborted) return false;
      const synth = this.#synth.signal;
      if (await this.#call.audio.mark(synth).catch(() => false)) return true;
      if (this.#paused === undefined && !synth.aborted) return false;
    }
    return false;
  }

  /** Idempotent: the detector stops listening for this reply; a judgement under way ends. */
  close(): void {
    this.#call.signal.removeEventListener('abort', this.#onCallEnd);
    this.#bargeIn.replyOver();
    this.#synth.abort(new VoicebridgeError('VB_CLOSED', 'the reply is over'));
  }

  #onCallEnd = (): void => {
    this.#stop.abort(this.#call.signal.reason);
    this.#synth.abort(this.#call.signal.reason);
  };

  #onBargeIn = (): void => {
    const atMs = Date.now();
    this.#call.audio.clear();
    this.#synth.abort(new VoicebridgeError('VB_CLOSED', 'the caller may be barging in'));
    const heard = this.#pass.heardText(atMs, this.#allowanceMs);
    const wholeClauses = this.#pass.heardClauses(atMs, this.#allowanceMs);
    const verdict =
      this.#resumes < this.#bargeIn.maxResumes ? this.#bargeIn.judge() : Promise.resolve('interruption' as const);
    this.#paused = verdict.then((v) => this.#after(v, heard, wholeClauses));
  };

  async #after(verdict: InterruptionVerdict, heard: string, wholeClauses: number): Promise<void> {
    if (this.#stop.signal.aborted) return;
    if (verdict === 'interruption') {
      this.#heard = [...this.#clauses.slice(0, this.#passStart), heard].join(' ').replace(/\s+/g, ' ').trim();
      this.#call.turns.interrupted();
      this.#stop.abort(new VoicebridgeError('VB_CLOSED', 'the caller barged in'));
      return;
    }
    this.#resumes++;
    this.#call.turns.falseBargeIn();
    this.#passStart += wholeClauses;
    this.#call.log.info(
      { verdict, replayedClauses: this.#clauses.length - this.#passStart },
      'barge-in was not an interruption: the reply resumes',
    );
    this.#pass = new SpokenReply();
    this.#synth = new AbortController();
    setMaxListeners(1000, this.#synth.signal);
    this.#bargeIn.speaking(this.#onBargeIn);
    const synth = this.#synth.signal;
    for (const clause of this.#clauses.slice(this.#passStart)) {
      if (synth.aborted) return;
      await this.#synthesize(clause);
    }
  }

  /** Waits out every barge-in under judgement, replays included (a new barge-in during a replay too). */
  async settle(): Promise<void> {
    for (let round = 0; this.#paused !== undefined && round <= this.#bargeIn.maxResumes + 2; round++) {
      const paused = this.#paused;
      await paused;
      if (this.#paused === paused) this.#paused = undefined;
    }
  }

  /** Synthesises one clause into this pass; a barge-in's abort ends it quietly, any other failure throws. */
  async #synthesize(text: string): Promise<void> {
    const signal = this.#synth.signal;
    const pass = this.#pass;
    if (signal.aborted) return;
    pass.clause(text);
    try {
      for await (const chunk of this.#tts.synthesize(text, {
        sampleRateHz: 8000,
        voice: this.#call.job.config.engines?.tts?.voice,
        signal,
        onWords: (words) => pass.words(words),
      })) {
        if (signal.aborted) return;
        const written = this.#call.audio.write(chunk);
        const position = pass.sent(chunk.length);
        this.#call.audio.mark(signal, 'p').then(
          (played) => played && pass.played(position, Date.now()),
          () => undefined,
        );
        await written;
      }
      pass.clauseSent();
    } catch (error) {
      if (!signal.aborted || this.#call.signal.aborted) throw error;
    }
  }
}
