import { agentConfigOf } from '@voicebridge/protocol';
import { ScriptedDialogue } from '../scripted/scripted-dialogue.ts';
import { scriptedResumeLine } from '../scripted/scripted-resume.ts';
import { BargeInDetector } from '../turns/barge-in-detector.ts';
import { speakInterruptibly } from '../turns/interruptible-speech.ts';
import { speak, type Agent, type AgentContext } from './agent-context.ts';
import { delay } from '../stt/abortable.ts';
import { followCallEvents } from './scripted-call-events.ts';

/** Said by the caller, it ends the call after a farewell (unless the number configures that word). */
const GOODBYE = /\b(goodbye|good bye|bye bye)\b/i;

/**
 * The offline default: greets, recognises what the caller says with the offline recogniser
 * (biased towards the number's keywords), answers the configured text for a keyword, else the
 * fallback that says what it heard; "goodbye" ends the call. Deterministic: what it answers
 * follows from what it heard.
 */
export class ScriptedAgent implements Agent {
  async run(context: AgentContext): Promise<void> {
    const { connection, job, signal, log } = context;
    const config = agentConfigOf(job.config.agent, 'scripted');
    const dialogue = new ScriptedDialogue(config);
    if (context.resume?.greeted) await speak(context, scriptedResumeLine(context.resume));
    else {
      await delay(context.greetingDelayMs, signal);
      await speak(context, dialogue.greeting());
    }
    signal.addEventListener('abort', followCallEvents(context), { once: true });
    const keywords = [...config.answers.map((a) => a.keyword), 'goodbye'];
    const configuresGoodbye = config.answers.some((a) => GOODBYE.test(a.keyword));
    // The caller may talk over an answer (not over the greeting or the farewell): see docs/conversation.md.
    const bargeIn = new BargeInDetector();
    const unobserve = connection.observeCallerFrames((frame) => bargeIn.onCallerFrame(frame.samples));
    signal.addEventListener('abort', unobserve, { once: true });
    const transcripts = context.stt.transcribe(connection.callerAudio, { sampleRateHz: 8000, keywords, signal });
    for await (const transcript of transcripts) {
      if (!transcript.final || transcript.text.trim() === '') continue;
      if (connection.held) continue; // what the recogniser finishes after a hold is not answered
      context.transcript('caller', transcript.text);
      context.turns.heard();
      if (!configuresGoodbye && GOODBYE.test(transcript.text)) {
        await speak(context, 'Thank you for calling. Goodbye.');
        connection.hangup('agent-hangup');
        return;
      }
      const answer = dialogue.reply(transcript.text);
      context.turns.answering();
      log.debug({ heard: transcript.text, said: answer }, 'turn');
      await speakInterruptibly(context, answer, bargeIn);
    }
    unobserve();
  }
}
