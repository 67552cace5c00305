import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { CallContext } from './agent-kind.ts';

/**
 * Synthesises `text` and queues it for the caller (awaiting the queue's back-pressure); resolves
 * once all of it was played (true) or cleared (false). The record gets `recorded` (a line that
 * repeats a key press the record must not show) or else the text itself, as its first audio is queued.
 */
export async function speak(call: CallContext, tts: TextToSpeech, text: string, recorded = text): Promise<boolean> {
  let written = false;
  for await (const chunk of tts.synthesize(text, {
    sampleRateHz: 8000,
    voice: call.job.config.engines?.tts?.voice,
    signal: call.signal,
  })) {
    // In the record once there is audio to play: a line whose synthesis failed was never said.
    if (!written) call.transcript('agent', recorded);
    written = true;
    await call.audio.write(chunk);
  }
  return call.audio.mark(call.signal);
}
