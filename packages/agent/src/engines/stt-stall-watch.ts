import { EnergyVad } from '../turns/energy-vad.ts';

export interface SttStallWatchOptions {
  /**
   * How long after the caller's speech ends the provider may stay silent before it counts as
   * stalled. Default 3000 ms: a working provider has said something long before (Deepgram sends
   * `Results` during speech, AssemblyAI partial `Turn`s, OpenAI `speech_started` and deltas), while
   * a compatible server that gives only finals (pocketsphinx behind the Deepgram wire: 0.6-0.85 s
   * after the voice ends on an idle box, more under load) still has room. The words of the stalled
   * turn are lost either way; the fallback hears the caller from the switch on.
   */
  stallMs?: number;
  /** Voice, in all, that makes a stretch speech worth an answer (a click or a cough is not). Default 300 ms. */
  minVoiceMs?: number;
  /** Silence after voice that ends the stretch: longer than the gaps between syllables. Default 300 ms. */
  endSilenceMs?: number;
  vad?: EnergyVad;
  /** `performance.now()` unless a test injects another clock. */
  now?: () => number;
}

/**
 * Tells a cloud recogniser whose socket stays open but has gone quiet: our energy VAD heard the
 * caller speak (at least `minVoiceMs`) and stop, and `stallMs` after that the provider has sent no
 * message of any kind since the speech began. Checked on each caller frame, so only while audio
 * flows. A provider that answers noise with nothing could be taken for stalled; the voice minimum
 * and the long wait keep that to speech a working provider would have transcribed.
 */
export class SttStallWatch {
  readonly #vad: EnergyVad;
  readonly #stallMs: number;
  readonly #minVoiceMs: number;
  readonly #endSilenceMs: number;
  readonly #now: () => number;
  /** The stretch of voice being heard: when it began, voice so far, silence since its last voice. */
  #stretch: { startedAtMs: number; lastVoiceAtMs: number; voiceMs: number; silentMs: number } | undefined;
  /** The oldest stretch the provider has not answered yet. */
  #unanswered: { startedAtMs: number; endedAtMs: number } | undefined;

  constructor(options: SttStallWatchOptions = {}) {
    this.#vad = options.vad ?? new EnergyVad();
    this.#stallMs = options.stallMs ?? 3000;
    this.#minVoiceMs = options.minVoiceMs ?? 300;
    this.#endSilenceMs = options.endSilenceMs ?? 300;
    this.#now = options.now ?? (() => performance.now());
  }

  get stallMs(): number {
    return this.#stallMs;
  }

  /**
   * One caller frame (8 kHz) and the time of the provider's last message; true once the provider
   * has stalled (it stays true).
   */
  frame(samples: Int16Array, lastMessageAtMs: number | undefined): boolean {
    const now = this.#now();
    const frameMs = samples.length / 8;
    if (this.#vad.isVoice(samples)) {
      this.#stretch ??= { startedAtMs: now, lastVoiceAtMs: now, voiceMs: 0, silentMs: 0 };
      this.#stretch.voiceMs += frameMs;
      this.#stretch.lastVoiceAtMs = now;
      this.#stretch.silentMs = 0;
    } else if (this.#stretch !== undefined) {
      this.#stretch.silentMs += frameMs;
      if (this.#stretch.silentMs >= this.#endSilenceMs) {
        const { startedAtMs, lastVoiceAtMs, voiceMs } = this.#stretch;
        this.#stretch = undefined;
        if (voiceMs >= this.#minVoiceMs) this.#unanswered ??= { startedAtMs, endedAtMs: lastVoiceAtMs };
      }
    }
    const unanswered = this.#unanswered;
    if (unanswered === undefined) return false;
    if (lastMessageAtMs !== undefined && lastMessageAtMs >= unanswered.startedAtMs) {
      this.#unanswered = undefined;
      return false;
    }
    return now - unanswered.endedAtMs >= this.#stallMs;
  }
}
