import type { LanguageModel, LlmEvent, LlmRequest } from '../../src/llm/language-model.ts';

/** Collects every event of one answer. */
export async function collect(model: LanguageModel, request: Partial<LlmRequest> = {}): Promise<LlmEvent[]> {
  const events: LlmEvent[] = [];
  for await (const event of model.stream({
    messages: [{ role: 'user', content: 'Hi' }],
    signal: AbortSignal.timeout(10_000),
    ...request,
  }))
    events.push(event);
  return events;
}

/** The events yielded before the stream threw, and what it threw (undefined if it did not). */
export async function collectUntilError(
  model: LanguageModel,
  request: Partial<LlmRequest> = {},
): Promise<{ events: LlmEvent[]; error: unknown }> {
  const events: LlmEvent[] = [];
  try {
    for await (const event of model.stream({
      messages: [{ role: 'user', content: 'Hi' }],
      signal: AbortSignal.timeout(10_000),
      ...request,
    }))
      events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

export function textOf(events: LlmEvent[]): string {
  return events.map((event) => (event.type === 'text' ? event.delta : '')).join('');
}
