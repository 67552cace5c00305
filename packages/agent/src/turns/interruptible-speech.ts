import { setMaxListeners } from 'node:events';
import { VoicebridgeError } from '@voicebridge/protocol';
import type { CallContext } from '../agents/agent-kind.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { BargeInDetector } from './barge-in-detector.ts';
import { DEFAULT_PLAYOUT_ALLOWANCE_MS, ESTIMATED_HEARD_LABEL, SpokenReply } from './spoken-reply.ts';

/**
 * Says `text` as a reply the caller may talk over: on barge-in media is told to `clear`, synthesis
 * stops, and the transcript gets only the estimated heard part, labelled. Resolves once the reply
 * was played out or cut; returns what went into the transcript.
 */
export async function speakInterruptibly(
  call: CallContext,
  tts: TextToSpeech,
  text: string,
  bargeIn: BargeInDetector,
  allowanceMs = DEFAULT_PLAYOUT_ALLOWANCE_MS,
): Promise<{ interrupted: boolean; said: string }> {
  const { signal } = call;
  const speaking = new AbortController();
  setMaxListeners(1000, speaking.signal);
  const stop = (): void => speaking.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  const reply = new SpokenReply();
  let bargedInAtMs: number | undefined;
  bargeIn.speaking(() => {
    bargedInAtMs = Date.now();
    call.audio.clear();
    call.turns.interrupted();
    speaking.abort(new VoicebridgeError('VB_CLOSED', 'the caller barged in'));
  });
  try {
    reply.clause(text);
    for await (const chunk of tts.synthesize(text, {
      sampleRateHz: 8000,
      voice: call.job.config.engines?.tts?.voice,
      signal: speaking.signal,
    })) {
      await call.audio.write(chunk);
      const position = reply.sent(chunk.length);
      call.audio.mark(speaking.signal, 'p').then(
        (played) => played && reply.played(position, Date.now()),
        () => undefined,
      );
    }
    await call.audio.mark(speaking.signal);
  } catch (error) {
    if (signal.aborted || bargedInAtMs === undefined) throw error;
  } finally {
    bargeIn.silent();
    signal.removeEventListener('abort', stop);
  }
  if (bargedInAtMs === undefined) {
    call.transcript('agent', text);
    return { interrupted: false, said: text };
  }
  const heard = reply.heardText(bargedInAtMs, allowanceMs);
  const said = `${heard} ${ESTIMATED_HEARD_LABEL}`.trim();
  call.log.info({ heardWords: heard === '' ? 0 : heard.split(' ').length }, 'caller barged in: reply cleared');
  call.transcript('agent', said);
  return { interrupted: true, said };
}
