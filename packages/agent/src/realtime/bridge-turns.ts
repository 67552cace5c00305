import { EnergyVad } from '../turns/energy-vad.ts';

/** Voice that makes a turn (10 frames, 200 ms), and the silence that ends it (30 frames, 600 ms). */
const MIN_VOICE_FRAMES = 10;
const END_SILENCE_FRAMES = 30;

/**
 * `--turn-detection bridge`: the model's VAD is off (`turn_detection: null`), so our energy VAD
 * ends the caller's turns: after at least 200 ms of voice, 600 ms of silence calls `onTurnEnd`
 * (the agent commits the audio buffer and asks for a response).
 */
export class BridgeTurns {
  readonly #vad = new EnergyVad();
  readonly #onTurnEnd: () => void;
  #voiceFrames = 0;
  #silentFrames = 0;

  constructor(onTurnEnd: () => void) {
    this.#onTurnEnd = onTurnEnd;
  }

  onCallerFrame(samples: Int16Array): void {
    if (this.#vad.isVoice(samples)) {
      this.#voiceFrames++;
      this.#silentFrames = 0;
      return;
    }
    if (this.#voiceFrames < MIN_VOICE_FRAMES) {
      this.#voiceFrames = 0;
      return;
    }
    if (++this.#silentFrames >= END_SILENCE_FRAMES) {
      this.#voiceFrames = 0;
      this.#silentFrames = 0;
      this.#onTurnEnd();
    }
  }
}
