import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { BargeInDetector } from '../turns/barge-in-detector.ts';
import type { SpeculativeStart } from '../turns/speculative-start.ts';
import type { CallContext } from './agent-kind.ts';
import type { TurnInbox } from './turn-inbox.ts';

/**
 * Feeds the caller's final transcripts into `inbox` (and the record) until the caller's audio ends. Every
 * transcript, interim ones too, reaches the barge-in detector and the early start; a recogniser failure ends the
 * inbox with it, so the conversation sees it at its next turn.
 */
export async function feedTurns(
  stt: SpeechToText,
  call: CallContext,
  inbox: TurnInbox,
  bargeIn: BargeInDetector,
  early: SpeculativeStart | undefined,
): Promise<void> {
  const { signal } = call;
  try {
    for await (const transcript of stt.transcribe(call.callerAudio, {
      sampleRateHz: 8000,
      signal,
      onSpeechStart: () => bargeIn.onSpeechStart(),
    })) {
      const text = transcript.text.trim();
      early?.onTranscript(transcript);
      bargeIn.onTranscript(text);
      if (!transcript.final || text === '') continue;
      // The recogniser's words for a cough or an "mm-hm" the reply resumed over are not a turn.
      if (bargeIn.absorbs(text)) {
        call.log.debug('a backchannel over the reply: not a turn');
        continue;
      }
      call.transcript('caller', text);
      inbox.push(text);
    }
    inbox.end();
  } catch (error) {
    inbox.end(error);
  }
}
