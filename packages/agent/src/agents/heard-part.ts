import type { ChatMessage } from '../llm/language-model.ts';
import { ESTIMATED_HEARD_LABEL } from '../turns/spoken-reply.ts';
import type { CallContext } from './agent-kind.ts';

/**
 * The caller talked over a reply: media already dropped the rest. The record keeps the estimated
 * heard part, labelled, with the words cut beside it; a reply cut before any word was heard keeps
 * an entry too (the label alone, every word cut), so the record shows what the agent meant to say.
 * The history keeps only the heard part; nothing when nothing was heard (the caller's words that
 * follow are then the same turn, continued, and the model is not told of a reply nobody heard).
 */
export function keepHeardPart(call: CallContext, history: ChatMessage[], heard: string, cut = ''): void {
  call.log.info({ heardWords: heard === '' ? 0 : heard.split(' ').length }, 'caller barged in: reply cleared');
  const content = `${heard} ${ESTIMATED_HEARD_LABEL}`.trim();
  if (heard !== '' || cut !== '') call.transcript('agent', content, true, cut);
  if (heard !== '') history.push({ role: 'assistant', content });
}
