import type { CallJob, ConversationState } from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { CallConnection } from '../call-connection.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { TurnTimer } from '../turns/turn-timer.ts';

/** Everything an agent implementation gets for one call. */
export interface AgentContext {
  job: CallJob;
  connection: CallConnection;
  stt: SpeechToText;
  tts: TextToSpeech;
  /** Aborted when the call ends (either side) or the worker shuts down. */
  signal: AbortSignal;
  greetingDelayMs: number;
  log: Logger;
  /** Times each caller turn for the record; the agent's audio goes out through it. */
  turns: TurnTimer;
  /**
   * Set when this agent took the call over from one that died or handed it back: the conversation
   * so far (greeted already, turns, messages). An agent goes on from it instead of greeting again.
   */
  resume?: ConversationState;
  /**
   * Appends to the call record's transcript, timed from the answer. `played`: an agent line written
   * once its audio was played out (else the conversation state waits for its mark).
   */
  transcript(speaker: 'caller' | 'agent', text: string, played?: boolean): void;
}

export interface Agent {
  run(context: AgentContext): Promise<void>;
}

/** Synthesises text and queues it for the caller; resolves once the last of it was sent (or cleared). */
export async function speak(context: AgentContext, text: string): Promise<boolean> {
  context.transcript('agent', text);
  for await (const chunk of context.tts.synthesize(text, {
    sampleRateHz: 8000,
    voice: context.job.config.engines?.tts?.voice,
    signal: context.signal,
  })) {
    context.turns.sendAudio(chunk);
  }
  return context.connection.mark(context.signal);
}
