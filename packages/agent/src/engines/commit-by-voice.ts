import { EnergyVad } from '../turns/energy-vad.ts';

export interface CommitByVoiceOptions {
  /** Voice, in all, that makes a turn worth committing (a click or a breath is not). Default 200 ms. */
  minVoiceMs?: number;
  /** Silence after voice that ends the turn. Default 500 ms, the provider's own server VAD default. */
  silenceMs?: number;
  vad?: EnergyVad;
}

/**
 * Where a transcription model has no turn detection of its own (`gpt-live-transcribe`,
 * `gpt-realtime-whisper`: the client must send `input_audio_buffer.commit` to finish each turn),
 * the turn ends by our energy VAD on the caller's frames: enough voice, then `silenceMs` without.
 * Committing an empty buffer is an error at the provider, so a turn is committed only after voice.
 */
export class CommitByVoice {
  readonly #vad: EnergyVad;
  readonly #minVoiceMs: number;
  readonly #silenceMs: number;
  #voiceMs = 0;
  #silentMs = 0;

  constructor(options: CommitByVoiceOptions = {}) {
    this.#vad = options.vad ?? new EnergyVad();
    this.#minVoiceMs = options.minVoiceMs ?? 200;
    this.#silenceMs = options.silenceMs ?? 500;
  }

  /** Voice was heard since the last commit: the end of the audio should commit it too. */
  get pending(): boolean {
    return this.#voiceMs >= this.#minVoiceMs;
  }

  /** One caller frame (8 kHz); true when the turn just ended and should be committed now. */
  frame(samples: Int16Array): boolean {
    const frameMs = samples.length / 8;
    if (this.#vad.isVoice(samples)) {
      this.#voiceMs += frameMs;
      this.#silentMs = 0;
      return false;
    }
    if (this.#voiceMs === 0) return false;
    this.#silentMs += frameMs;
    if (this.#silentMs < this.#silenceMs) return false;
    const commit = this.pending;
    this.#voiceMs = 0;
    this.#silentMs = 0;
    return commit;
  }

  /** The turn was committed another way (the end of the audio). */
  reset(): void {
    this.#voiceMs = 0;
    this.#silentMs = 0;
  }
}
