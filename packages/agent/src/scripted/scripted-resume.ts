import type { ConversationState } from '@voicebridge/protocol';
import type { ScriptedDialogue } from './scripted-dialogue.ts';

/** Longest topic named in the line: a longer keyword would take the line past its ~2 s. */
const MAX_TOPIC_CHARS = 12;

/**
 * What the scripted agent says first when it takes over a call another agent was running: one
 * short line (≤ ~2 s in flite's voices: "Back to hours." 1.5 s, "Sorry, I'm back." 1.7 s), said
 * interruptibly like any answer, so a caller who goes on talking is heard at once. It names the
 * topic of the caller's last words when they matched a one-word keyword, showing the conversation
 * went on rather than restarting; it recaps nothing (a recap of 7 s that could not be interrupted
 * kept a caller's question waiting 5 s).
 */
export function scriptedResumeLine(state: ConversationState, dialogue: ScriptedDialogue): string {
  const lastCaller = [...state.messages].reverse().find((m) => m.role === 'caller')?.text;
  const topic = lastCaller === undefined ? undefined : dialogue.topicOf(lastCaller);
  if (topic === undefined || topic.length > MAX_TOPIC_CHARS || /\s/.test(topic)) return "Sorry, I'm back.";
  return `Back to ${topic}.`;
}
