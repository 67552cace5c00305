import type { AudioFrame } from '@voicebridge/protocol';
import { EnergyVad } from './energy-vad.ts';

export interface GreetingWaitOptions {
  /** Silence after the callee's first words that ends them ("Hello?" … then our greeting). */
  endOfWordsMs?: number;
  /** Nobody said anything this long after the answer: greet anyway. */
  silenceMs?: number;
  /** A callee that keeps talking (a voicemail greeting) is not waited for longer than this. */
  maxWaitMs?: number;
  vad?: EnergyVad;
}

/**
 * Waits, on a call we placed, until the callee has spoken and stopped — a person answers with
 * "Hello?" and expects to be talked to after it, not over it — or has said nothing for a short while
 * (someone who picks up and listens). Bounded by `maxWaitMs`. Timed by the caller's frames (20 ms
 * each, counted as they arrive), so it follows the call's own audio clock; a call without frames is
 * covered by `maxWaitMs`. Resolves early (never rejects) when `signal` aborts.
 */
export function waitForCallee(
  observe: (observer: (frame: AudioFrame) => void) => () => void,
  signal: AbortSignal,
  options: GreetingWaitOptions = {},
): Promise<void> {
  const endOfWordsMs = options.endOfWordsMs ?? 600;
  const silenceMs = options.silenceMs ?? 1500;
  const maxWaitMs = options.maxWaitMs ?? 5000;
  const vad = options.vad ?? new EnergyVad();
  return new Promise<void>((resolve) => {
    let heardMs = 0;
    let voiced = false;
    let quietMs = 0;
    let stop: () => void = () => undefined;
    const timer = setTimeout(() => done(), maxWaitMs);
    const done = (): void => {
      clearTimeout(timer);
      stop();
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted) return done();
    stop = observe((frame) => {
      const frameMs = (frame.samples.length / frame.sampleRateHz) * 1000;
      heardMs += frameMs;
      if (vad.isVoice(frame.samples)) {
        voiced = true;
        quietMs = 0;
        return;
      }
      quietMs += frameMs;
      if ((voiced && quietMs >= endOfWordsMs) || (!voiced && heardMs >= silenceMs)) done();
    });
  });
}
