import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { recordedKey } from '../call/dtmf-record.ts';
import { speak } from './agent-context.ts';
import type { CallContext } from './agent-kind.ts';

const KEY_NAMES: Record<string, string> = { '*': 'star', '#': 'hash' };

/**
 * The scripted agent's answers to what is not speech. Hold (RFC 3264 §8.4, told by media): what it
 * was saying is cleared, so the caller does not come back to the middle of a sentence; on resume it
 * says "Welcome back." A key press is acknowledged ("You pressed 5."; the record says "You pressed a
 * key." unless the number shows digits in records). These lines queue behind
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
    if (this.#call.held) return;
    const masked = recordedKey(digit, this.#call.job.config) !== digit;
    this.#say(`You pressed ${KEY_NAMES[digit] ?? digit}.`, masked ? 'You pressed a key.' : undefined);
  }

  hold(held: boolean): void {
    if (held) this.#call.audio.clear();
    else this.#say('Welcome back.');
  }

  #say(text: string, recorded?: string): void {
    const call = this.#call;
    if (call.signal.aborted) return;
    this.#saying = this.#saying
      .then(() => speak(call, this.#tts, text, recorded))
      .then(
        () => undefined,
        (error: unknown) => {
          if (!call.signal.aborted) call.log.warn({ err: error }, 'scripted acknowledgement not said');
        },
      );
  }
}
