import type { ConversationState } from '@voicebridge/protocol';

/**
 * What the scripted agent says when it takes over a call another agent was running: it shows the
 * caller (and a test) that the conversation went on rather than restarting — the turn count and
 * the caller's last words come from the state the previous owner saved.
 */
export function scriptedResumeLine(state: ConversationState): string {
  const lastCaller = [...state.messages]
    .reverse()
    .find((m) => m.role === 'caller')
    ?.text.replace(/\s+/g, ' ')
    .trim();
  const where = `We were on turn ${state.turns} of our call`;
  if (!lastCaller) return 'Sorry about that pause. I am back. What would you like to know?';
  return `Sorry about that pause. ${where}; you asked: ${lastCaller}. What else would you like to know?`;
}
