import { EnergyVad } from './energy-vad.ts';

const FRAME_MS = 20;

export interface BargeInOptions {
  vad?: EnergyVad;
  /** Voice needed, with a transcript seen meanwhile, before the agent stops. Default 200 ms. */
  minVoiceMs?: number;
  /**
   * Voice that stops the agent without any transcript: for recognisers without interim results
   * (pocketsphinx gives only finals, after the caller stopped). Default 500 ms.
   */
  minVoiceWithoutTranscriptMs?: number;
  /**
   * The VAD threshold while the agent speaks: its own voice comes back from the handset attenuated
   * (echo return loss of 20 dB and more), so only louder-than-echo voice counts. Default -30 dBFS.
   */
  speakingThresholdDb?: number;
  /** Voiceless frames tolerated inside one stretch of voice (gaps between syllables). Default 3. */
  maxGapFrames?: number;
}

/**
 * Decides when the caller really interrupts the agent: voice (energy over the raised threshold)
 * for at least `minVoiceMs` plus a non-empty transcript since that voice began, or voice for
 * `minVoiceWithoutTranscriptMs` alone. Only while the agent speaks; fires once per reply.
 */
export class BargeInDetector {
  readonly #vad: EnergyVad;
  readonly #minVoiceFrames: number;
  readonly #minVoiceAloneFrames: number;
  readonly #thresholdDb: number;
  readonly #maxGapFrames: number;
  #onBargeIn: (() => void) | undefined;
  #voiceFrames = 0;
  #gapFrames = 0;
  #transcriptSeen = false;

  constructor(options: BargeInOptions = {}) {
    this.#vad = options.vad ?? new EnergyVad();
    this.#minVoiceFrames = Math.ceil((options.minVoiceMs ?? 200) / FRAME_MS);
    this.#minVoiceAloneFrames = Math.ceil((options.minVoiceWithoutTranscriptMs ?? 500) / FRAME_MS);
    this.#thresholdDb = options.speakingThresholdDb ?? -30;
    this.#maxGapFrames = options.maxGapFrames ?? 3;
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

  onCallerFrame(samples: Int16Array): void {
    if (!this.#onBargeIn) return;
    if (this.#vad.isVoice(samples, Math.max(this.#thresholdDb, this.#vad.baseThresholdDb))) {
      this.#voiceFrames++;
      this.#gapFrames = 0;
    } else if (this.#voiceFrames > 0 && ++this.#gapFrames > this.#maxGapFrames) {
      this.#reset();
    }
    this.#check();
  }

  /** Any transcript, interim or final, heard while the agent speaks. */
  onTranscript(text: string): void {
    if (!this.#onBargeIn || text.trim() === '') return;
    this.#transcriptSeen = true;
    this.#check();
  }

  #check(): void {
    const withTranscript = this.#transcriptSeen && this.#voiceFrames >= this.#minVoiceFrames;
    if (!withTranscript && this.#voiceFrames < this.#minVoiceAloneFrames) return;
    const fire = this.#onBargeIn;
    this.silent();
    fire?.();
  }

  #reset(): void {
    this.#voiceFrames = 0;
    this.#gapFrames = 0;
    this.#transcriptSeen = false;
  }
}
