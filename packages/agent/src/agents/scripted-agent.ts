import { ScriptedDialogue } from '../scripted/scripted-dialogue.ts';
import { delay, speak, type Agent, type AgentContext } from './agent-context.ts';

/**
 * The offline default: greets, recognises what the caller says with the offline recogniser
 * (biased towards the number's keywords), answers the configured text for a keyword, else the
 * fallback that says what it heard. Deterministic: what it answers follows from what it heard.
 */
export class ScriptedAgent implements Agent {
  async run(context: AgentContext): Promise<void> {
    const { connection, job, signal, log } = context;
    const dialogue = new ScriptedDialogue(job.config);
    await delay(context.greetingDelayMs, signal);
    await speak(context, dialogue.greeting());
    const keywords = job.config.answers.map((a) => a.keyword);
    const transcripts = context.stt.transcribe(connection.callerAudio, { sampleRateHz: 8000, keywords, signal });
    for await (const transcript of transcripts) {
      if (!transcript.final || transcript.text.trim() === '') continue;
      context.transcript('caller', transcript.text);
      const answer = dialogue.reply(transcript.text);
      log.debug({ heard: transcript.text, said: answer }, 'turn');
      await speak(context, answer);
    }
  }
}
