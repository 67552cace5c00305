import type { ConversationState } from '@voicebridge/protocol';
import type { ChatMessage } from '../llm/language-model.ts';
import { ESTIMATED_HEARD_LABEL } from '../turns/spoken-reply.ts';

/** Said by an agent that took a call over only when the caller was left waiting for an answer. */
export const LLM_RESUME_LINE = 'Sorry about that pause.';

export interface ResumedConversation {
  /** The model's history as the previous owner left it: system prompt, then user/assistant turns. */
  messages: ChatMessage[];
  /** The caller's last words got no answer (the previous owner died before replying). */
  pending: boolean;
}

/**
 * Rebuilds the model's history from the conversation state a previous owner saved (ADR 0010):
 * caller lines become `user` messages, agent lines `assistant` ones, consecutive lines of one side
 * joined as the live agent joins what the caller says while it answers. An agent line whose playout
 * was never confirmed (the owner died before its mark came back) is kept as the estimated heard
 * text, labelled as a barge-in's is: media plays out what was already queued when an owner dies,
 * so all that was sent is the estimate. Lines a barge-in already cut carry their label and stay as
 * they are.
 */
export function resumedHistory(systemPrompt: string, state: ConversationState): ResumedConversation {
  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt }];
  const lines = state.messages.filter((m) => m.text.trim() !== '');
  lines.forEach((line, i) => {
    const role = line.role === 'caller' ? 'user' : 'assistant';
    let content = line.text.trim();
    const last = i === lines.length - 1;
    if (
      last &&
      role === 'assistant' &&
      state.lastSaid?.played === false &&
      state.lastSaid.text.trim() === content &&
      !content.endsWith(ESTIMATED_HEARD_LABEL)
    ) {
      content = `${content} ${ESTIMATED_HEARD_LABEL}`;
    }
    const previous = messages.at(-1);
    if (previous && previous.role === role && typeof previous.content === 'string')
      previous.content = `${previous.content} ${content}`;
    else messages.push({ role, content });
  });
  return { messages, pending: lines.at(-1)?.role === 'caller' };
}
