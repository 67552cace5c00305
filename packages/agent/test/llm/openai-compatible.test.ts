import { expect } from 'chai';
import type { ChatMessage, ToolDefinition } from '../../src/llm/language-model.ts';
import { LlmError } from '../../src/llm/llm-error.ts';
import { OpenAiCompatibleModel } from '../../src/llm/openai-compatible.ts';
import { chunk, FakeOpenAiServer, streamEvents, streamText, wholeCompletion } from './fake-openai-server.ts';
import { collect, textOf } from './llm-helpers.ts';

const KEY = 'sk-test-0123456789abcdef0123456789abcdef';

describe('OpenAiCompatibleModel: streaming', function () {
  this.timeout(20_000);
  let server: FakeOpenAiServer;
  let model: OpenAiCompatibleModel;

  beforeEach(async () => {
    server = await FakeOpenAiServer.start();
    model = new OpenAiCompatibleModel({ baseUrl: server.baseUrl, model: 'fake-model', apiKey: KEY, timeoutMs: 5000 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('yields the text deltas in order, then done with the finish reason', async () => {
    const pieces = ['Our', ' opening', ' hours', ' are', ' nine', ' to', ' five', '.'];
    server.respondWith(streamText(pieces));
    const events = await collect(model);
    expect(
      events.filter((event) => event.type === 'text').map((event) => (event.type === 'text' ? event.delta : '')),
    ).to.deep.equal(pieces);
    expect(events.at(-1)).to.deep.equal({ type: 'done', finishReason: 'stop' });
    expect(events.filter((event) => event.type === 'done')).to.have.length(1);
  });

  it('reads a stream written a few bytes at a time, CRLF line endings and multi-byte characters cut through', async () => {
    const pieces = ['Grüße', ' – ', 'naïve café', ' 東京', ' 🎉', '.'];
    for (const eol of ['\n', '\r\n'] as const) {
      for (const writeBytes of [1, 3, 7]) {
        server.respondWith(streamText(pieces, { eol, writeBytes }));
        const events = await collect(model);
        expect(textOf(events), `${JSON.stringify(eol)} / ${writeBytes}`).to.equal(pieces.join(''));
        expect(events.at(-1)).to.deep.equal({ type: 'done', finishReason: 'stop' });
      }
    }
  });

  it('skips comments and keep-alives, and reads an event whose data spans several lines', async () => {
    // Two data lines join with a newline, which JSON allows between tokens.
    const split = JSON.stringify(chunk({ content: 'two' })).replace('"choices":', '"choices":\ndata: ');
    server.respondWith(
      streamEvents([chunk({ content: 'one ' }), split, chunk({}, 'stop')], {
        preamble: [': OPENROUTER PROCESSING', '', ':'],
      }),
    );
    expect(textOf(await collect(model))).to.equal('one two');
  });

  it('POSTs to baseUrl/chat/completions with the key as a bearer token and the documented body', async () => {
    server.respondWith(streamText(['ok']));
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You answer the phone for a bakery.' },
      { role: 'user', content: 'Are you open?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'opening_hours', arguments: '{"day":"monday"}' }],
      },
      { role: 'tool', toolCallId: 'call_1', content: '{"open":"9-17"}' },
    ];
    const tools: ToolDefinition[] = [
      {
        name: 'opening_hours',
        description: 'Opening hours for a day',
        parameters: { type: 'object', properties: { day: { type: 'string' } }, required: ['day'] },
      },
    ];
    await collect(model, { messages, tools, temperature: 0.3 });
    const [request] = server.requests;
    expect(request?.method).to.equal('POST');
    expect(request?.path).to.equal('/v1/chat/completions');
    expect(request?.headers['authorization']).to.equal(`Bearer ${KEY}`);
    expect(request?.headers['content-type']).to.equal('application/json');
    expect(request?.body).to.deep.equal({
      model: 'fake-model',
      stream: true,
      temperature: 0.3,
      messages: [
        { role: 'system', content: 'You answer the phone for a bakery.' },
        { role: 'user', content: 'Are you open?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'opening_hours', arguments: '{"day":"monday"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"open":"9-17"}' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'opening_hours', description: 'Opening hours for a day', parameters: tools[0]?.parameters },
        },
      ],
    });
  });

  it('sends no Authorization header without a key, no tools, temperature or stream_options unless asked, and keeps a base URL query after the path', async () => {
    const local = new OpenAiCompatibleModel({ baseUrl: `${server.baseUrl}/`, model: 'llama3', timeoutMs: 5000 });
    server.respondWith(streamText(['ok']));
    await collect(local);
    await collect(
      new OpenAiCompatibleModel({ baseUrl: `${server.baseUrl}?api-version=1`, model: 'llama3', timeoutMs: 5000 }),
    );
    const [request, withQuery] = server.requests;
    expect(request?.path).to.equal('/v1/chat/completions');
    expect(withQuery?.path).to.equal('/v1/chat/completions?api-version=1');
    expect(request?.headers).not.to.have.property('authorization');
    expect(request?.body).to.deep.equal({ model: 'llama3', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
  });

  it('asks for usage when told to and reports it with done', async () => {
    const counting = new OpenAiCompatibleModel({
      baseUrl: server.baseUrl,
      model: 'fake-model',
      timeoutMs: 5000,
      includeUsage: true,
    });
    const usageChunk = {
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    };
    server.respondWith(streamEvents([chunk({ content: 'Yes.' }), chunk({}, 'stop'), usageChunk]));
    const events = await collect(counting);
    expect((server.requests[0]?.body as Record<string, unknown>)['stream_options']).to.deep.equal({
      include_usage: true,
    });
    expect(events.at(-1)).to.deep.equal({
      type: 'done',
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 3 },
    });
  });

  it('assembles parallel tool calls from fragments split across chunks, by index, after the text', async () => {
    server.respondWith(
      streamEvents(
        [
          chunk({ role: 'assistant', content: 'Let me check.' }),
          chunk({
            tool_calls: [
              { index: 0, id: 'call_a', type: 'function', function: { name: 'opening_hours', arguments: '' } },
            ],
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"da' } }] }),
          chunk({
            tool_calls: [
              { index: 1, id: 'call_b', type: 'function', function: { name: 'transfer_call', arguments: '{"to":' } },
            ],
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: 'y":"mon' } }] }),
          chunk({ tool_calls: [{ index: 1, function: { arguments: '"+4930123"}' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: 'day"}' } }] }),
          chunk({}, 'tool_calls'),
        ],
        { writeBytes: 5 },
      ),
    );
    const events = await collect(model);
    expect(events).to.deep.equal([
      { type: 'text', delta: 'Let me check.' },
      { type: 'tool_call', id: 'call_a', name: 'opening_hours', arguments: '{"day":"monday"}' },
      { type: 'tool_call', id: 'call_b', name: 'transfer_call', arguments: '{"to":"+4930123"}' },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
  });

  it('ends normally when the server sends a finish reason and closes without [DONE]', async () => {
    server.respondWith(streamText(['Fine.'], { done: false }));
    expect(await collect(model)).to.deep.equal([
      { type: 'text', delta: 'Fine.' },
      { type: 'done', finishReason: 'stop' },
    ]);
  });

  it('reads a whole completion from a server that ignored stream: true, as the same events', async () => {
    server.respondWith(wholeCompletion({ content: 'We are open.' }, 'stop'));
    expect(await collect(model)).to.deep.equal([
      { type: 'text', delta: 'We are open.' },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 9, completionTokens: 4 } },
    ]);
    const toolCalls = [
      { id: 'call_9', type: 'function', function: { name: 'end_call', arguments: '{"reason":"done"}' } },
    ];
    server.respondWith(wholeCompletion({ content: null, tool_calls: toolCalls }, 'tool_calls'));
    expect(await collect(model)).to.deep.equal([
      { type: 'tool_call', id: 'call_9', name: 'end_call', arguments: '{"reason":"done"}' },
      { type: 'done', finishReason: 'tool_calls', usage: { promptTokens: 9, completionTokens: 4 } },
    ]);
  });

  it('closes the connection when the consumer stops reading early', async () => {
    server.respondWith(streamText(['one', ' two'], { ending: 'stall', done: false, finishReason: null }));
    for await (const event of model.stream({
      messages: [{ role: 'user', content: 'Hi' }],
      signal: AbortSignal.timeout(10_000),
    })) {
      if (event.type === 'text') break;
    }
    await server.requests[0]?.closed;
  });

  it('refuses a base URL that is not http(s) or that carries credentials, without the credentials in the error', () => {
    for (const baseUrl of [
      'not a url',
      'http://user:hunter2secret@exa mple.com',
      'ftp://example.com/v1',
      'https://user:hunter2secret@example.com/v1',
    ]) {
      let error: unknown;
      try {
        new OpenAiCompatibleModel({ baseUrl, model: 'm', timeoutMs: 1000 });
      } catch (caught) {
        error = caught;
      }
      expect(error, baseUrl).to.be.instanceOf(LlmError);
      expect((error as LlmError).code).to.equal('VB_CONFIG_INVALID');
      expect((error as LlmError).message).not.to.include('hunter2secret');
      expect(String((error as LlmError).cause)).not.to.include('hunter2secret');
    }
  });
});
