import type { ConversationState } from '@voicebridge/protocol';
import type { ChatMessage } from '../llm/language-model.ts';
import { ESTIMATED_HEARD_LABEL } from '../turns/spoken-reply.ts';

/**
 * The llm agent's first words after a takeover when nothing in the caller's last words names a
 * topic: left waiting for an answer, the caller hears this, then the answer.
 */
export const LLM_RESUME_LINE = 'Sorry about that pause.';

/**
 * Said after a takeover when the caller's last words were already answered: the caller may have
 * spoken while no agent listened (those words are lost), so the line asks them to go on.
 */
export const LLM_RESUME_PROMPT = 'Sorry, where were we?';

/** Longest topic named: "Back to appointment." is 1.3-1.5 s in flite's voices; longer words pass 2 s. */
const MAX_TOPIC_CHARS = 12;

/**
 * Words that never name what a question is about: function words, question words, auxiliaries,
 * the verbs and adjectives callers ask with ("can I book", "is it possible") and times of day
 * ("is Tuesday morning possible" is about Tuesday).
 */
const NOT_A_TOPIC = new Set(
  (
    'a an the and or but if so then than that this these those there here it its i me my mine you your ' +
    'yours we us our he him his she her they them their what which who whom whose when where why how ' +
    'is am are was were be been being do does did done have has had having can could will would shall ' +
    'should may might must to of in on at for from by with about into over after before up down out off ' +
    'not no yes yeah okay ok please thanks thank hello hi well just really also too again still now ' +
    'any some much many more most very all each every need want like know tell book get make see go ' +
    'come take give find think say ask help let possible available open free sure good fine right ' +
    'today tomorrow tonight morning afternoon evening day time um uh hmm'
  ).split(' '),
);

/**
 * What the caller's words were about, for the resume line: the last word that is not a function
 * word, a verb in -ed or an adverb in -ly ("what are your opening hours" → hours, "how much is a
 * check-up" → check-up); undefined when none is left or it is too long to say in the line's time.
 */
export function resumeTopic(words: string): string | undefined {
  const candidates = (words.match(/[a-z][a-z'-]*[a-z]/gi) ?? []).filter((word) => {
    const w = word.toLowerCase();
    return w.length > 2 && !NOT_A_TOPIC.has(w) && !/(ed|ly)$/.test(w);
  });
  const topic = candidates.at(-1);
  return topic === undefined || topic.length > MAX_TOPIC_CHARS ? undefined : topic;
}

/**
 * The one short line (≤ ~2 s) the llm agent says first after a takeover, built from the restored
 * history, never a recap (a 7 s recap that could not be interrupted kept a caller's question
 * waiting 5 s): with the caller's last words unanswered, "Back to <topic>." (or "Sorry about that
 * pause.") before their answer; otherwise "Sorry, where were we?".
 */
export function llmResumeLine(state: ConversationState, pending: boolean): string {
  if (!pending) return LLM_RESUME_PROMPT;
  const lastCaller = [...state.messages].reverse().find((m) => m.role === 'caller')?.text;
  const topic = lastCaller === undefined ? undefined : resumeTopic(lastCaller);
  return topic === undefined ? LLM_RESUME_LINE : `Back to ${topic}.`;
}

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
