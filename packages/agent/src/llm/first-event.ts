import type { LlmEvent } from './language-model.ts';

/** Passes `events` on, calling `onFirst` at the first text or tool call (the "first token"). */
export async function* firstEvent(events: AsyncIterable<LlmEvent>, onFirst: () => void): AsyncGenerator<LlmEvent> {
  let first = true;
  for await (const event of events) {
    if (first && event.type !== 'done') {
      first = false;
      onFirst();
    }
    yield event;
  }
}
