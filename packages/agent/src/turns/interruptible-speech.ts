import type { CallContext } from '../agents/agent-kind.ts';
import { splitClauses } from '../tts/clauses.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { BargeInDetector } from './barge-in-detector.ts';
import { InterruptibleReply } from './interruptible-reply.ts';
import { DEFAULT_PLAYOUT_ALLOWANCE_MS, ESTIMATED_HEARD_LABEL } from './spoken-reply.ts';

/**
 * Says `text` as a reply the caller may talk over (`InterruptibleReply`, clause by clause): a
 * barge-in that was only noise or a backchannel resumes it; a real one clears it, and the
 * transcript gets only the estimated heard part, labelled, with the cut words beside it. Resolves
 * once the reply was played out or cut; returns what went into the transcript.
 */
export async function speakInterruptibly(
  call: CallContext,
  tts: TextToSpeech,
  text: string,
  bargeIn: BargeInDetector,
  allowanceMs = DEFAULT_PLAYOUT_ALLOWANCE_MS,
): Promise<{ interrupted: boolean; said: string }> {
  const reply = new InterruptibleReply(call, tts, bargeIn, allowanceMs);
  try {
    for (const clause of splitClauses(text)) if (!(await reply.say(clause))) break;
    await reply.finish();
  } catch (error) {
    if (call.signal.aborted || !reply.interrupted) throw error;
  } finally {
    reply.close();
  }
  if (!reply.interrupted) {
    call.transcript('agent', text);
    return { interrupted: false, said: text };
  }
  const { heard } = reply;
  const said = `${heard} ${ESTIMATED_HEARD_LABEL}`.trim();
  call.log.info({ heardWords: heard === '' ? 0 : heard.split(' ').length }, 'caller barged in: reply cleared');
  call.transcript('agent', said, undefined, reply.cut);
  return { interrupted: true, said };
}
