import { EnergyVad, frameLevelDb } from '../turns/energy-vad.ts';

/** Voice that makes a caller turn: 200 ms (10 frames), as the realtime kind's bridge turns. */
const MIN_VOICE_FRAMES = 10;
/** Voice shorter than that, then this much silence (600 ms): a noise, forgotten. */
const NOISE_RESET_FRAMES = 30;
/**
 * The caller has been quiet this long (100 ms) when the bot's reply counts as one. Under it, bot
 * audio is the bot talking over the caller or an echo bot lagging a frame or two behind speech.
 */
const QUIET_FRAMES = 5;
/** Bot audio at or above this (dBFS, any 20 ms frame of a message) is voice, as our VAD's threshold. */
const VOICED_DB = -40;
const FRAME_SAMPLES = 160;

/**
 * Finds the bot's replies on a websocket call, for the call's turn timing (a bot call has no
 * transcript of ours to end a turn on): the caller's turn is at least 200 ms of voice by our energy
 * VAD, and the reply is the first voiced audio the bot sends once the caller has been quiet 100 ms.
 * The turn timer already knows the caller's last voiced frame; `isReply` says when to close the turn.
 */
export class BotTurns {
  readonly #vad = new EnergyVad();
  #voiceFrames = 0;
  #quietFrames = 0;

  onCallerFrame(samples: Int16Array): void {
    if (this.#vad.isVoice(samples)) {
      this.#voiceFrames++;
      this.#quietFrames = 0;
      return;
    }
    this.#quietFrames++;
    if (this.#voiceFrames < MIN_VOICE_FRAMES && this.#quietFrames >= NOISE_RESET_FRAMES) this.#voiceFrames = 0;
  }

  /** Whether this bot audio is the reply to the caller's turn (once per turn). */
  isReply(samples: Int16Array): boolean {
    if (this.#voiceFrames < MIN_VOICE_FRAMES || this.#quietFrames < QUIET_FRAMES || !voiced(samples)) return false;
    this.#voiceFrames = 0;
    return true;
  }
}

function voiced(samples: Int16Array): boolean {
  for (let at = 0; at < samples.length; at += FRAME_SAMPLES)
    if (frameLevelDb(samples.subarray(at, at + FRAME_SAMPLES)) >= VOICED_DB) return true;
  return false;
}
