import { expect } from 'chai';
import type { LlmEvent } from '../../src/llm/language-model.ts';
import { ModelAnswer } from '../../src/llm/model-answer.ts';
import { speakableClauses } from '../../src/llm/sentence-chunker.ts';

async function* play(events: LlmEvent[]): AsyncGenerator<LlmEvent> {
  for (const event of events) yield await Promise.resolve(event);
}

describe('ModelAnswer', () => {
  it('passes the text on for speaking and keeps tool calls, finish reason and usage for after', async () => {
    const answer = new ModelAnswer();
    const events: LlmEvent[] = [
      { type: 'text', delta: 'One moment,' },
      { type: 'text', delta: ' let me check. I' },
      { type: 'text', delta: ' will transfer you.' },
      { type: 'tool_call', id: 'call_1', name: 'transfer_call', arguments: '{"to":"sales"}' },
      { type: 'done', finishReason: 'tool_calls', usage: { promptTokens: 20, completionTokens: 9 } },
    ];
    const clauses: string[] = [];
    for await (const clause of speakableClauses(answer.textDeltas(play(events)))) clauses.push(clause);
    expect(clauses).to.deep.equal(['One moment, let me check.', 'I will transfer you.']);
    expect(answer.complete).to.equal(true);
    expect(answer.finishReason).to.equal('tool_calls');
    expect(answer.usage).to.deep.equal({ promptTokens: 20, completionTokens: 9 });
    expect(answer.toMessage()).to.deep.equal({
      role: 'assistant',
      content: 'One moment, let me check. I will transfer you.',
      toolCalls: [{ id: 'call_1', name: 'transfer_call', arguments: '{"to":"sales"}' }],
    });
  });

  it('records the estimated heard text in place of the whole answer after a barge-in', async () => {
    const answer = new ModelAnswer();
    for await (const _ of answer.textDeltas(
      play([{ type: 'text', delta: 'Our hours are nine to five, and on Saturdays' }]),
    ))
      break;
    expect(answer.complete).to.equal(false);
    expect(answer.toMessage('Our hours are nine to five,')).to.deep.equal({
      role: 'assistant',
      content: 'Our hours are nine to five,',
    });
  });
});
