import type { CallContext } from '../agents/agent-kind.ts';
import { speak } from '../agents/agent-context.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { BargeInDetector, type BargeInOptions } from './barge-in-detector.ts';
import { speakInterruptibly } from './interruptible-speech.ts';

/**
 * Says the number's greeting. The caller may talk over it and stop it, as over any reply, unless
 * the number sets `greetingInterruptible: false` (a notice that must be heard whole): a 7.8 s
 * greeting otherwise talks over a caller who already knows what they want. What the caller says
 * meanwhile stays queued for the recogniser, which starts reading once the greeting is over.
 * Returns what went into the transcript: the greeting, or its estimated heard part, labelled.
 */
export async function speakGreeting(
  call: CallContext,
  tts: TextToSpeech,
  text: string,
  bargeIn: BargeInOptions = {},
): Promise<string> {
  if (call.job.config.greetingInterruptible === false) {
    await speak(call, tts, text);
    return text;
  }
  const detector = new BargeInDetector(bargeIn);
  const unobserve = call.observeCallerFrames((frame) => detector.onCallerFrame(frame.samples));
  try {
    return (await speakInterruptibly(call, tts, text, detector)).said;
  } finally {
    unobserve();
  }
}
