import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { speak } from './agent-context.ts';
import type { CallContext } from './agent-kind.ts';

const KEY_NAMES: Record<string, string> = { '*': 'star', '#': 'hash' };

/**
 * The scripted agent's answers to what is not speech. Hold (RFC 3264 §8.4, told by media): what it
 * was saying is cleared, so the caller does not come back to the middle of a sentence; on resume it
 * says "Welcome back." A key press is acknowledged ("You pressed 5."). These lines queue behind
 * each other, never behind a hold.
 */
export class ScriptedCallEvents {
  readonly #call: CallContext;
  readonly #tts: TextToSpeech;
  #saying: Promise<void> = Promise.resolve();

  constructor(call: CallContext, tts: TextToSpeech) {
    this.#call = call;
    this.#tts = tts;
  }

  dtmf(digit: string): void {
    if (!this.#call.held) this.#say(`You pressed ${KEY_NAMES[digit] ?? digit}.`);
  }

  hold(held: boolean): void {
    if (held) this.#call.audio.clear();
    else this.#say('Welcome back.');
  }

  #say(text: string): void {
    const call = this.#call;
    if (call.signal.aborted) return;
    this.#saying = this.#saying
      .then(() => speak(call, this.#tts, text))
      .then(
        () => undefined,
        (error: unknown) => {
          if (!call.signal.aborted) call.log.warn({ err: error }, 'scripted acknowledgement not said');
        },
      );
  }
}
