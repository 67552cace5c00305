import { expect } from 'chai';
import type { AgentToMedia } from '@voicebridge/protocol';
import { chunk, streamEvents, streamText, type Script } from '../llm/fake-openai-server.ts';
import { useLlmCallSuite, type LlmCallHarness } from './llm-call-harness.ts';

type Message = { role: string; content?: string | null };
const messagesOf = (body: unknown): Message[] => (body as { messages: Message[] }).messages;
const toolNamesOf = (body: unknown): string[] =>
  ((body as { tools?: Array<{ function: { name: string } }> }).tools ?? []).map((t) => t.function.name);

/** Says `text` and calls transfer_call; once it sees the tool's result, says `after`. */
function transferThenAnswer(text: string, target: string, after: string): Script {
  const transfer = streamEvents([
    chunk({ role: 'assistant', content: text }),
    chunk({
      tool_calls: [
        {
          index: 0,
          id: 'call_1',
          type: 'function',
          function: { name: 'transfer_call', arguments: JSON.stringify({ target }) },
        },
      ],
    }),
    chunk({}, 'tool_calls'),
  ]);
  return (request, response) =>
    (messagesOf(request.body).at(-1)?.role === 'tool' ? streamText([after]) : transfer)(request, response);
}

/**
 * transfer_call in the llm agent, over the real Redis channel with the local
 * OpenAI-compatible stand-in: the test plays media (and signaling's answer to the transfer).
 */
describe('llm agent: transfer_call', function () {
  this.timeout(30_000);
  const suite = useLlmCallSuite();

  const transferOf = (c: LlmCallHarness): Extract<AgentToMedia, { event: 'transfer' }> | undefined =>
    c.media.controls().find((m): m is Extract<AgentToMedia, { event: 'transfer' }> => m.event === 'transfer');

  it('asks media for the transfer after saying so; a failure is a tool error for the model and the call goes on', async () => {
    suite.server.respondWith(transferThenAnswer('Let me put you through.', '+15550123', 'Sorry, that line is busy.'));
    const call = await suite.start({ transferTargets: ['+15550123'] });
    await call.greeted();
    call.stt.hear('I want to talk to sales');
    await call.media.waitFor(() => transferOf(call) !== undefined, 'the transfer request');
    const request = transferOf(call)!;
    expect(request.target).to.equal('+15550123');
    expect(toolNamesOf(suite.server.requests[0]!.body)).to.include('transfer_call');
    // The REFER waits for what was said first to be played: its mark came before the request.
    const controls = call.media.controls();
    expect(controls.findLastIndex((m) => m.event === 'mark')).to.be.below(controls.indexOf(request));
    call.media.send({
      event: 'transfer-result',
      requestId: request.requestId,
      state: 'trying',
      status: 202,
      reason: 'REFER accepted',
    });
    call.media.send({
      event: 'transfer-result',
      requestId: request.requestId,
      state: 'failure',
      status: 486,
      reason: 'Busy Here',
    });
    await call.waitForTranscript(
      (t) => t.at(-1)?.text === 'Sorry, that line is busy.',
      'the answer after the failed transfer',
    );
    const result = JSON.parse(messagesOf(suite.server.requests[1]!.body).at(-1)?.content ?? '{}') as Record<
      string,
      unknown
    >;
    expect(result).to.deep.include({ status: 486, callContinues: true });
    expect(result['error']).to.match(/Busy Here/);
    expect(call.media.controls().some((m) => m.event === 'hangup')).to.equal(false);
  });

  it('is not offered to the model when the number allows no transfer target', async () => {
    suite.server.respondWith(streamText(['Fine.']));
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('hello');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Fine.', 'the answer');
    expect(toolNamesOf(suite.server.requests[0]!.body)).to.not.include('transfer_call');
  });
});
