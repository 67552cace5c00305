import { PocketsphinxStt } from '../src/stt/pocketsphinx-stt.ts';
import type { TextToSpeech } from '../src/tts/text-to-speech.ts';
import { concat, frames, muLawRoundTrip, silence, synthesizeAll } from '../test/engines/audio-helpers.ts';
import type { SpokenQuestion } from '../test/fixtures/keyword-questions/keyword-questions.ts';

export interface HeardQuestion extends SpokenQuestion {
  /** Every final the recogniser gave for the question, joined. */
  heard: string;
}

/**
 * Speaks each question in its flite voice, through G.711 μ-law (as a call would carry it), into the
 * offline recogniser the scripted agent uses, with the number's keywords. `decoders` warm decoders
 * run at once, so two shared cores are not swamped. A decoder carries its noise and cepstral-mean
 * estimates from one stream to the next, so what it hears depends on what it heard before: each
 * has its own fixed share of the questions (every `decoders`-th), in order, which makes a run
 * repeat the last one's transcripts instead of depending on which decoder was free first.
 */
export async function hearQuestions(
  questions: readonly SpokenQuestion[],
  engines: { tts: TextToSpeech; keywords: readonly string[] },
  decoders: number,
  signal: AbortSignal,
): Promise<HeardQuestion[]> {
  const heard: HeardQuestion[] = new Array<HeardQuestion>(questions.length);
  const worker = async (first: number): Promise<void> => {
    // A loaded shared box can leave a decoder seconds behind; the bench waits rather than fails.
    const stt = new PocketsphinxStt({ size: 1, drainTimeoutMs: 120_000 });
    try {
      for (let index = first; index < questions.length; index += decoders) {
        const question = questions[index]!;
        const speech = await synthesizeAll(engines.tts, question.text, { voice: question.voice });
        const audio = muLawRoundTrip(concat([silence(300), speech, silence(300)]));
        const finals: string[] = [];
        for await (const transcript of stt.transcribe(frames(audio), {
          sampleRateHz: 8000,
          keywords: [...engines.keywords],
          signal,
        }))
          if (transcript.final) finals.push(transcript.text);
        heard[index] = { ...question, heard: finals.join(' ') };
      }
    } finally {
      await stt.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, decoders) }, (_, first) => worker(first)));
  return heard;
}
