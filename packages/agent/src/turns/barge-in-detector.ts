import { EnergyVad } from './energy-vad.ts';

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
 * (`InterruptionJudge`), and the reply resumes when it was not.
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

  constructor(options: BargeInOptions = {}) {
    this.#vad = options.vad ?? new EnergyVad();
    this.#minVoiceFrames = Math.ceil((options.minVoiceMs ?? 140) / FRAME_MS);
    this.#minVoiceWithCueFrames = Math.ceil((options.minVoiceWithCueMs ?? 100) / FRAME_MS);
    this.#window = new Uint8Array(Math.max(1, Math.round((options.windowMs ?? 300) / FRAME_MS)));
    this.#thresholdDb = options.speakingThresholdDb ?? -32;
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
    if (!this.#onBargeIn) return;
    this.#voiceFrames += voice - (this.#window[this.#at] as number);
    this.#window[this.#at] = voice;
    this.#at = (this.#at + 1) % this.#window.length;
    this.#check();
  }

  /** Any transcript, interim or final, or the recogniser's speech-start event, while the agent speaks. */
  onTranscript(text: string): void {
    if (!this.#onBargeIn || text.trim() === '') return;
    this.#cue = true;
    this.#check();
  }

  #check(): void {
    const needed = this.#cue ? this.#minVoiceWithCueFrames : this.#minVoiceFrames;
    if (this.#voiceFrames < needed) return;
    const fire = this.#onBargeIn;
    this.silent();
    fire?.();
  }

  #reset(): void {
    this.#window.fill(0);
    this.#at = 0;
    this.#voiceFrames = 0;
    this.#cue = false;
  }
}
