import { agentConfigOf } from '@voicebridge/protocol';
import { speak, type Agent, type AgentContext } from './agent-context.ts';
import { delay } from '../stt/abortable.ts';

/**
 * Plays the caller's audio straight back: an operator's line check (one-way audio, codec, latency
 * by ear) and the cheapest agent for load tests. Audio heard during the greeting is not echoed.
 */
export class EchoAgent implements Agent {
  async run(context: AgentContext): Promise<void> {
    const { connection, job, signal } = context;
    await delay(context.greetingDelayMs, signal);
    const { greeting } = agentConfigOf(job.config.agent, 'echo');
    if (greeting) await speak(context, greeting);
    // What the caller said over the greeting is not echoed: start from live audio.
    connection.callerAudio.clear();
    for await (const frame of connection.callerAudio) connection.sendAudio(frame);
  }
}
