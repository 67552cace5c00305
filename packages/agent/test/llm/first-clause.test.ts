import { expect } from 'chai';
import type { LlmEvent } from '../../src/llm/language-model.ts';
import { OpenAiCompatibleModel } from '../../src/llm/openai-compatible.ts';
import { speakableClauses } from '../../src/llm/sentence-chunker.ts';
import { chunk, FakeOpenAiServer, type Script } from './fake-openai-server.ts';

/** The text deltas of an answer, as the chunker wants them. */
async function* textDeltas(events: AsyncIterable<LlmEvent>): AsyncGenerator<string> {
  for await (const event of events) if (event.type === 'text') yield event.delta;
}

describe('LLM text to speakable clauses', function () {
  this.timeout(20_000);
  let server: FakeOpenAiServer;

  beforeEach(async () => {
    server = await FakeOpenAiServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  it('has the first clause ready for TTS while the model is still writing the rest', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let lastTokenSent = false;
    const send = (response: Parameters<Script>[1], payload: unknown): void =>
      void response.write(`data: ${JSON.stringify(payload)}\n\n`);
    server.respondWith(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of ['We', ' open', ' at', ' 8.30', ' today', '.', ' And'])
        send(response, chunk({ content: piece }));
      await released;
      for (const piece of [' we close', ' at five.']) send(response, chunk({ content: piece }));
      lastTokenSent = true;
      send(response, chunk({}, 'stop'));
      response.end('data: [DONE]\n\n');
    });
    const model = new OpenAiCompatibleModel({ baseUrl: server.baseUrl, model: 'fake-model', timeoutMs: 5000 });
    const clauses = speakableClauses(
      textDeltas(
        model.stream({
          messages: [{ role: 'user', content: 'When are you open?' }],
          signal: AbortSignal.timeout(10_000),
        }),
      ),
    );
    const first = await clauses.next();
    expect(first).to.deep.equal({ done: false, value: 'We open at 8.30 today.' });
    expect(lastTokenSent).to.equal(false);
    release();
    const rest: string[] = [];
    for await (const clause of clauses) rest.push(clause);
    expect(rest).to.deep.equal(['And we close at five.']);
  });
});
