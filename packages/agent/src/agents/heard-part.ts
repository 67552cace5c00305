import type { ChatMessage } from '../llm/language-model.ts';
import { ESTIMATED_HEARD_LABEL } from '../turns/spoken-reply.ts';
import type { CallContext } from './agent-kind.ts';

/**
 * The caller talked over a reply: media already dropped the rest. The history keeps only the
 * estimated heard part, labelled; nothing when nothing was heard (the caller's words that follow
 * are then the same turn, continued).
 */
export function keepHeardPart(call: CallContext, history: ChatMessage[], heard: string, cut = ''): void {
  call.log.info({ heardWords: heard === '' ? 0 : heard.split(' ').length }, 'caller barged in: reply cleared');
  if (heard === '') return;
  const content = `${heard} ${ESTIMATED_HEARD_LABEL}`;
  call.transcript('agent', content, true, cut);
  history.push({ role: 'assistant', content });
}
