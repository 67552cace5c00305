import { ScriptedDialogue } from '../scripted/scripted-dialogue.ts';
import { delay, speak, type Agent, type AgentContext } from './agent-context.ts';

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
    const dialogue = new ScriptedDialogue(job.config);
    await delay(context.greetingDelayMs, signal);
    await speak(context, dialogue.greeting());
    const keywords = [...job.config.answers.map((a) => a.keyword), 'goodbye'];
    const configuresGoodbye = job.config.answers.some((a) => GOODBYE.test(a.keyword));
    const transcripts = context.stt.transcribe(connection.callerAudio, { sampleRateHz: 8000, keywords, signal });
    for await (const transcript of transcripts) {
      if (!transcript.final || transcript.text.trim() === '') continue;
      context.transcript('caller', transcript.text);
      if (!configuresGoodbye && GOODBYE.test(transcript.text)) {
        await speak(context, 'Thank you for calling. Goodbye.');
        connection.hangup('agent-hangup');
        return;
      }
      const answer = dialogue.reply(transcript.text);
      log.debug({ heard: transcript.text, said: answer }, 'turn');
      await speak(context, answer);
    }
  }
}
