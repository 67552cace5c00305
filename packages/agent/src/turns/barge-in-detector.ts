import { EnergyVad } from './energy-vad.ts';
import {
  InterruptionJudge,
  isBackchannel,
  type InterruptionJudgeOptions,
  type InterruptionVerdict,
} from './interruption-judge.ts';

const FRAME_MS = 20;

export interface BargeInOptions {
  vad?: EnergyVad;
  /** Voice within the last `windowMs` that stops the agent. Default 140 ms. */
  minVoiceMs?: number;
  /** Voice that stops the agent once the recogniser heard speech (a transcript, a speech-start event). Default 100 ms. */
  minVoiceWithCueMs?: number;
  /** The window voice is counted in: syllables have gaps, so voice need not be one unbroken run. Default 300 ms. */
  windowMs?: number;
  /**
   * The VAD threshold while the agent speaks: its own voice comes back from the handset attenuated
   * (echo return loss of 20 dB and more), so only louder-than-echo voice counts. Default -32 dBFS.
   */
  speakingThresholdDb?: number;
  /** How a fired barge-in is judged to be an interruption, or noise and the reply resumes. */
  judge?: InterruptionJudgeOptions;
  /** Resumes per reply after noise or a backchannel; 0 stops the reply on every barge-in. Default 2. */
  maxResumes?: number;
  /** After a resume, a final of only backchannel words this soon is the same noise, not a turn. Default 2000 ms. */
  absorbMs?: number;
}

/**
 * Decides when the caller really interrupts the agent: voice (energy over the raised threshold and
 * over the line's noise floor) in `minVoiceMs` of the last `windowMs`, or `minVoiceWithCueMs` once
 * the recogniser reported speech. Only while the agent speaks; fires once per reply.
 *
 * Why a share of a window and not an unbroken run: flite speech through G.711 at phone levels has
 * frames under -32 dBFS between syllables every 100–200 ms, so the old rule (500 ms with at most
 * 60 ms gaps) was never met by ordinary speech and the agent talked on. Echo of the agent 20 dB
 * down (flite peaks near -10 dBFS, so echo peaks near -30) crosses -32 dBFS only on its loudest
 * frames, two or three at a time, and so stays under 140 ms of any 300 ms. Noise or a cough that
 * is loud enough still fires: whether it was an interruption is judged afterwards
 * (`judge()`, `InterruptionJudge`), and the reply resumes when it was not.
 */
export class BargeInDetector {
  readonly #vad: EnergyVad;
  readonly #minVoiceFrames: number;
  readonly #minVoiceWithCueFrames: number;
  readonly #thresholdDb: number;
  /** Voice (1) or not (0) of the last `windowMs` of frames, as a ring. */
  readonly #window: Uint8Array;
  #at = 0;
  #voiceFrames = 0;
  #onBargeIn: (() => void) | undefined;
  #cue = false;
  /** The last transcript while the agent spoke: the judge weighs the words that helped fire it. */
  #cueText = '';
  #firedVoiceFrames = 0;
  #firedCueText = '';
  #judge: InterruptionJudge | undefined;
  readonly #judgeOptions: InterruptionJudgeOptions;
  readonly maxResumes: number;
  readonly #absorbMs: number;
  #absorbUntilMs = 0;
  /** A barge-in during the reply under way was judged not an interruption. */
  #resumedInReply = false;

  constructor(options: BargeInOptions = {}) {
    this.#vad = options.vad ?? new EnergyVad();
    this.#minVoiceFrames = Math.ceil((options.minVoiceMs ?? 140) / FRAME_MS);
    this.#minVoiceWithCueFrames = Math.ceil((options.minVoiceWithCueMs ?? 100) / FRAME_MS);
    this.#window = new Uint8Array(Math.max(1, Math.round((options.windowMs ?? 300) / FRAME_MS)));
    this.#thresholdDb = options.speakingThresholdDb ?? -32;
    this.#judgeOptions = options.judge ?? {};
    this.maxResumes = options.maxResumes ?? 2;
    this.#absorbMs = options.absorbMs ?? 2000;
  }

  /**
   * Judges the barge-in that just fired: caller frames and transcripts go to the judge until its
   * verdict. A verdict of noise or backchannel opens `absorbMs` in which `absorbs` drops a final
   * of only backchannel words (pocketsphinx gives a cough's final after the reply resumed), and so
   * does the rest of that reply.
   */
  judge(): Promise<InterruptionVerdict> {
    this.#judge?.close();
    const judge = new InterruptionJudge(this.#firedVoiceFrames, this.#judgeOptions);
    this.#judge = judge;
    judge.onTranscript(this.#firedCueText);
    return judge.verdict.then((verdict) => {
      if (this.#judge === judge) this.#judge = undefined;
      if (verdict !== 'interruption') {
        this.#resumedInReply = true;
        this.#absorbUntilMs = Date.now() + this.#absorbMs;
      }
      return verdict;
    });
  }

  /** A final that is part of a barge-in judged (or being judged) noise or a backchannel, not a turn. */
  absorbs(text: string): boolean {
    const judging = this.#judge !== undefined || this.#resumedInReply || Date.now() < this.#absorbUntilMs;
    return judging && isBackchannel(text);
  }

  /** The reply is over: the detector is silent, and a judgement under way ends as an interruption. */
  replyOver(): void {
    this.silent();
    this.#judge?.close();
    // A recogniser that is read only between replies (the scripted agent) hands over the noise's final now.
    if (this.#resumedInReply) this.#absorbUntilMs = Date.now() + this.#absorbMs;
    this.#resumedInReply = false;
  }

  /** The agent starts a reply: `onBargeIn` is called (once) if the caller talks over it. */
  speaking(onBargeIn: () => void): void {
    this.#onBargeIn = onBargeIn;
    this.#reset();
  }

  /** The reply is over (played out, cleared or abandoned). */
  silent(): void {
    this.#onBargeIn = undefined;
    this.#reset();
  }

  get isSpeaking(): boolean {
    return this.#onBargeIn !== undefined;
  }

  /** Every caller frame, speaking or not (the VAD tracks the line's noise floor throughout). */
  onCallerFrame(samples: Int16Array): void {
    const voice = this.#vad.isVoice(samples, Math.max(this.#thresholdDb, this.#vad.baseThresholdDb)) ? 1 : 0;
    this.#judge?.onFrame(voice === 1);
    if (!this.#onBargeIn) return;
    this.#voiceFrames += voice - (this.#window[this.#at] as number);
    this.#window[this.#at] = voice;
    this.#at = (this.#at + 1) % this.#window.length;
    this.#check();
  }

  /** Any transcript, interim or final, or the recogniser's speech-start event, while the agent speaks. */
  onTranscript(text: string): void {
    this.#judge?.onTranscript(text);
    if (!this.#onBargeIn || text.trim() === '') return;
    this.#cue = true;
    this.#cueText = text;
    this.#check();
  }

  /**
   * The recogniser's speech-start event (Deepgram `SpeechStarted`) while the agent speaks: a cue
   * like a transcript, so `minVoiceWithCueMs` of voice fires. The voice is still counted over the
   * raised threshold, so our own echo (which the provider's VAD may take for speech) never fires
   * it alone (ADR 0023, addendum).
   */
  onSpeechStart(): void {
    if (!this.#onBargeIn) return;
    this.#cue = true;
    this.#check();
  }

  #check(): void {
    const needed = this.#cue ? this.#minVoiceWithCueFrames : this.#minVoiceFrames;
    if (this.#voiceFrames < needed) return;
    const fire = this.#onBargeIn;
    this.#firedVoiceFrames = this.#voiceFrames;
    this.#firedCueText = this.#cueText;
    this.silent();
    fire?.();
  }

  #reset(): void {
    this.#window.fill(0);
    this.#at = 0;
    this.#voiceFrames = 0;
    this.#cue = false;
    this.#cueText = '';
  }
}
