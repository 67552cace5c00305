import type { CallContext } from '../agents/agent-kind.ts';
import { ESTIMATED_HEARD_LABEL } from '../turns/spoken-reply.ts';
import type { ModelPlayout } from './model-playout.ts';
import { clientEvents } from './realtime-wire.ts';

/**
 * The bridge decided the caller talks over the model: playout stops, each cut item is truncated in
 * the model's memory to what left the socket, the response is cancelled, and the heard share of
 * each item goes in the record. Returns the heard lines (for a re-seeded session) and the truncates sent.
 */
export function cutModel(
  playout: ModelPlayout,
  call: CallContext,
  send: (event: Record<string, unknown>) => void,
): { heard: string[]; truncates: number } {
  call.turns.interrupted();
  const cut = playout.cut();
  const heard: string[] = [];
  for (const item of cut) {
    send(clientEvents.truncate(item.itemId, item.audioEndMs));
    const text = playout.heardText(item.itemId, item.audioEndMs, item.writtenMs);
    if (text === '') continue;
    call.transcript('agent', `${text} ${ESTIMATED_HEARD_LABEL}`, true);
    heard.push(text);
  }
  send(clientEvents.responseCancel());
  call.log.info(
    { items: cut.map((c) => ({ audioEndMs: c.audioEndMs, writtenMs: c.writtenMs })) },
    'caller barged in: model cut',
  );
  return { heard, truncates: cut.length };
}
