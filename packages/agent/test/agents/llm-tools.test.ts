import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chunk, streamEvents, streamText, type Script } from '../llm/fake-openai-server.ts';
import { isEndMark, useLlmCallSuite } from './llm-call-harness.ts';

function messagesOf(body: unknown): Array<{ role: string; content?: string | null; tool_call_id?: string }> {
  return (body as { messages: Array<{ role: string; content?: string | null; tool_call_id?: string }> }).messages;
}

/** An answer that says `text`, then calls `name` with `args` (finish reason `tool_calls`). */
function toolCall(text: string, name: string, args: string): Script {
  const payloads = [chunk({ role: 'assistant', content: '' })];
  if (text !== '') payloads.push(chunk({ content: text }));
  payloads.push(
    chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name, arguments: args } }] }),
  );
  payloads.push(chunk({}, 'tool_calls'));
  return streamEvents(payloads);
}

/** The model calls a tool first, then, once it sees the tool's result, says `after`. */
function toolThenAnswer(text: string, name: string, args: string, after: string): Script {
  return (request, response) =>
    messagesOf(request.body).at(-1)?.role === 'tool'
      ? streamText([after])(request, response)
      : toolCall(text, name, args)(request, response);
}

describe('llm agent tools: send_dtmf and HTTP webhooks (real channel, flite, local servers)', function () {
  this.timeout(30_000);
  const suite = useLlmCallSuite();
  let webhook: Server | undefined;
  afterEach(() => {
    webhook?.closeAllConnections();
    webhook?.close();
    webhook = undefined;
  });

  async function startWebhook(
    handler: (request: IncomingMessage, body: string, response: ServerResponse) => void,
  ): Promise<string> {
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (d: Buffer) => (body += d.toString()));
      request.on('end', () => handler(request, body, response));
    });
    webhook.listen(0, '127.0.0.1');
    await once(webhook, 'listening');
    return `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/tools`;
  }

  it('send_dtmf sends the keys to media; the model is told they went', async () => {
    suite.server.respondWith(toolThenAnswer('', 'send_dtmf', '{"digits":"12#"}', 'Done.'));
    const call = await suite.start({ telephoneEvent: true });
    await call.greeted();
    call.stt.hear('press one two hash');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Done.', 'the answer after the keys');
    expect(call.media.controls()).to.deep.include({ event: 'dtmf', digits: '12#' });
    expect(messagesOf(suite.server.requests[1]!.body).at(-1)).to.deep.include({
      role: 'tool',
      content: '{"ok":true,"sent":"12#"}',
    });
  });

  it('send_dtmf on a call without telephone-event is an error for the model, and nothing is sent', async () => {
    suite.server.respondWith(
      toolThenAnswer('', 'send_dtmf', '{"digits":"1"}', 'Sorry, I cannot press keys on this call.'),
    );
    const call = await suite.start({ telephoneEvent: false });
    await call.greeted();
    call.stt.hear('press one');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Sorry, I cannot press keys on this call.', 'the apology');
    expect(call.media.controls().some((c) => c.event === 'dtmf')).to.equal(false);
    expect(messagesOf(suite.server.requests[1]!.body).at(-1)?.content).to.include('did not negotiate telephone-event');
  });

  it('a webhook tool gets the call, the tool and its arguments; the reply so far keeps playing while it runs', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const received: unknown[] = [];
    let audioBeforeReply = 0;
    const url = await startWebhook((_request, body, response) => {
      received.push(JSON.parse(body));
      call.media.poke();
      void released.then(() => {
        audioBeforeReply = call.media.events.filter((e) => e.kind === 'audio').length;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"status":"shipped"}');
      });
    });
    const tool = {
      name: 'lookup_order',
      description: 'Finds an order by its number.',
      parameters: { type: 'object', properties: { order: { type: 'string' } } },
      url,
      timeoutMs: 5000,
    };
    suite.server.respondWith(
      toolThenAnswer('Let me check that for you.', 'lookup_order', '{"order":"42"}', 'It has shipped.'),
    );
    const call = await suite.start({ tools: [tool] });
    await call.greeted();
    const greetingAudio = call.media.events.filter((e) => e.kind === 'audio').length;
    call.stt.hear('where is order forty two');
    // The audio of "Let me check that for you." reaches media while the webhook still holds its reply.
    await call.media.waitFor(
      () => received.length === 1 && call.media.events.filter((e) => e.kind === 'audio').length > greetingAudio + 5,
      'the words before the tool',
    );
    release();
    await call.waitForTranscript((t) => t.at(-1)?.text === 'It has shipped.', 'the answer with the result');
    expect(audioBeforeReply).to.be.greaterThan(greetingAudio + 5);
    expect(received).to.deep.equal([
      { callId: call.callId, number: '+15550001111', tool: 'lookup_order', arguments: { order: '42' } },
    ]);
    const requestTools = (suite.server.requests[0]!.body as { tools: Array<{ function: { name: string } }> }).tools.map(
      (t) => t.function.name,
    );
    expect(requestTools).to.deep.equal(['end_call', 'send_dtmf', 'lookup_order']);
    expect(messagesOf(suite.server.requests[1]!.body).at(-1)).to.deep.include({
      role: 'tool',
      content: '{"status":"shipped"}',
    });
    expect(call.media.controls().filter(isEndMark).length).to.be.at.least(2);
  });

  it('a webhook that does not answer in its timeout is an error result; the call goes on', async () => {
    const url = await startWebhook(() => undefined);
    const tool = {
      name: 'slow_lookup',
      description: 'Slow.',
      parameters: { type: 'object', properties: {} },
      url,
      timeoutMs: 300,
    };
    suite.server.respondWith(toolThenAnswer('', 'slow_lookup', '{}', 'That service is not answering.'));
    const call = await suite.start({ tools: [tool] });
    await call.greeted();
    call.stt.hear('look it up');
    await call.waitForTranscript(
      (t) => t.at(-1)?.text === 'That service is not answering.',
      'the answer after the timeout',
    );
    expect(messagesOf(suite.server.requests[1]!.body).at(-1)?.content).to.include('did not answer within 300 ms');
    expect(call.media.controls().some((c) => c.event === 'hangup')).to.equal(false);
  });

  it('a webhook whose name resolves to the metadata address is refused at connect; the server that would answer sees nothing', async () => {
    const received: string[] = [];
    const url = await startWebhook((_request, body, response) => {
      received.push(body);
      response.end('{"secret":"instance credentials"}');
    });
    const port = new URL(url).port;
    const tool = {
      name: 'lookup',
      description: 'Finds things.',
      parameters: { type: 'object', properties: {} },
      url: `http://hooks.example.test:${port}/tools`,
      timeoutMs: 2000,
    };
    suite.server.respondWith(toolThenAnswer('', 'lookup', '{}', 'I could not look that up.'));
    const call = await suite.start({
      tools: [tool],
      insecure: true,
      resolve: () => Promise.resolve([{ address: '169.254.169.254', family: 4 }]),
    });
    await call.greeted();
    call.stt.hear('look it up');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'I could not look that up.', 'the answer after the refusal');
    expect(messagesOf(suite.server.requests[1]!.body).at(-1)?.content).to.equal(
      '{"error":"the lookup service could not be reached"}',
    );
    expect(received).to.deep.equal([]);
    expect(call.logText.join('')).to.include(
      'hooks.example.test resolves to 169.254.169.254 is a cloud metadata address',
    );
  });

  it('a number whose webhook tool is at the metadata address is refused before any request', async () => {
    const tool = {
      name: 'lookup',
      description: 'Finds things.',
      parameters: { type: 'object', properties: {} },
      url: 'http://169.254.169.254/latest/meta-data/',
      timeoutMs: 2000,
    };
    const call = await suite.start({ tools: [tool], insecure: true });
    await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
    expect(call.logText.join('')).to.include(
      'webhook tool lookup refused by the outbound URL policy: 169.254.169.254 is a cloud metadata address',
    );
    expect(suite.server.requests).to.have.length(0);
  });
});
