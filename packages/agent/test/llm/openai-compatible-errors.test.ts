import { expect } from 'chai';
import { LlmError } from '../../src/llm/llm-error.ts';
import { captureLog } from '../log-capture.ts';
import { OpenAiCompatibleModel, type OpenAiCompatibleOptions } from '../../src/llm/openai-compatible.ts';
import {
  chunk,
  errorReply,
  FakeOpenAiServer,
  keepAliveOnly,
  stallBeforeHeaders,
  streamEvents,
  streamText,
} from './fake-openai-server.ts';
import { collectUntilError, textOf } from './llm-helpers.ts';
import { freePort } from '../../../../test/support/free-port.ts';

const KEY = 'sk-proj-SECRETsecret0123456789abcdefXYZ';

function expectLlmError(error: unknown, code: string, retryable: boolean): LlmError {
  expect(error).to.be.instanceOf(LlmError);
  const llmError = error as LlmError;
  expect(llmError.code, llmError.message).to.equal(code);
  expect(llmError.retryable, llmError.message).to.equal(retryable);
  expect(llmError.message).not.to.include(KEY);
  expect(String(llmError.stack)).not.to.include(KEY);
  return llmError;
}

describe('OpenAiCompatibleModel: failures', function () {
  this.timeout(20_000);
  let server: FakeOpenAiServer;
  let logged: ReturnType<typeof captureLog>;

  function modelWith(options: Partial<OpenAiCompatibleOptions> = {}): OpenAiCompatibleModel {
    return new OpenAiCompatibleModel({
      baseUrl: server.baseUrl,
      model: 'fake-model',
      apiKey: KEY,
      timeoutMs: 5000,
      log: logged.log,
      ...options,
    });
  }

  beforeEach(async () => {
    logged = captureLog();
    server = await FakeOpenAiServer.start();
  });
  afterEach(async () => {
    await server.close();
    // Whatever happened, neither the key nor the conversation reached the log.
    for (const line of logged.text) {
      expect(line).not.to.include(KEY);
      expect(line).not.to.include('Hi');
    }
  });

  it('reports a rejected key (401) as not retryable, without the key the provider echoed back', async () => {
    server.respondWith(
      errorReply(401, {
        error: {
          message: `Incorrect API key provided: ${KEY}. You can find your API key at …`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      }),
    );
    const { error } = await collectUntilError(modelWith());
    const llmError = expectLlmError(error, 'VB_CONFIG_INVALID', false);
    expect(llmError.status).to.equal(401);
    expect(llmError.message).to.match(/rejected the API key \(401/);
  });

  it('reports a forbidden key (403) as not retryable, and a missing key as missing', async () => {
    server.respondWith(errorReply(403, { error: { message: 'Project does not have access to model' } }));
    expect(expectLlmError((await collectUntilError(modelWith())).error, 'VB_CONFIG_INVALID', false).status).to.equal(
      403,
    );
    server.respondWith(errorReply(401, { error: 'unauthorized' }));
    const { error } = await collectUntilError(modelWith({ apiKey: undefined }));
    expect(expectLlmError(error, 'VB_CONFIG_INVALID', false).message).to.match(
      /requires an API key, and none is configured/,
    );
  });

  it('reports a rate limit (429) as retryable, with Retry-After in ms and the provider message', async () => {
    server.respondWith(
      errorReply(
        429,
        { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
        { 'retry-after': '7' },
      ),
    );
    const llmError = expectLlmError((await collectUntilError(modelWith())).error, 'VB_ENGINE_FAILED', true);
    expect(llmError.status).to.equal(429);
    expect(llmError.retryAfterMs).to.equal(7000);
    expect(llmError.message).to.include('Rate limit reached for requests (rate_limit_exceeded)');
  });

  it('reports server errors (5xx) as retryable, reading Retry-After as an HTTP date too', async () => {
    server.respondWith(
      errorReply(500, { error: { message: 'The server had an error while processing your request.' } }),
    );
    expect(expectLlmError((await collectUntilError(modelWith())).error, 'VB_ENGINE_FAILED', true).status).to.equal(500);
    server.respondWith(
      errorReply(503, '<html>Service Unavailable</html>', {
        'retry-after': new Date(Date.now() + 60_000).toUTCString(),
      }),
    );
    const llmError = expectLlmError((await collectUntilError(modelWith())).error, 'VB_ENGINE_FAILED', true);
    expect(llmError.retryAfterMs).to.be.within(1, 60_000);
    expect(llmError.message).to.include('Service Unavailable');
  });

  it('reports an unknown model or a refused request (other 4xx) as not retryable, with the provider message scrubbed of keys', async () => {
    server.respondWith(errorReply(404, { error: "model 'llama9' not found, try pulling it first" }));
    expect(expectLlmError((await collectUntilError(modelWith())).error, 'VB_CONFIG_INVALID', false).message).to.include(
      "model 'llama9' not found",
    );
    server.respondWith(
      errorReply(400, { error: { message: `bad header Authorization: Bearer ${KEY} and sk-other-abcdefghijkl` } }),
    );
    const llmError = expectLlmError((await collectUntilError(modelWith())).error, 'VB_CONFIG_INVALID', false);
    expect(llmError.message).not.to.include('sk-other-abcdefghijkl');
    expect(llmError.message).to.include('[redacted]');
  });

  it('fails retryably after the text already yielded when the connection drops mid-stream', async () => {
    server.respondWith(
      streamText(['We are open', ' from nine'], { done: false, finishReason: null, ending: 'destroy' }),
    );
    const { events, error } = await collectUntilError(modelWith());
    expect(textOf(events)).to.equal('We are open from nine');
    expect(events.some((event) => event.type === 'done')).to.equal(false);
    expect(expectLlmError(error, 'VB_ENGINE_FAILED', true).message).to.include('dropped mid-stream');
  });

  it('fails retryably when the stream closes cleanly but before the answer finished', async () => {
    server.respondWith(streamText(['Half'], { done: false, finishReason: null, ending: 'end' }));
    const { events, error } = await collectUntilError(modelWith());
    expect(textOf(events)).to.equal('Half');
    expect(expectLlmError(error, 'VB_ENGINE_FAILED', true).message).to.include('ended before the answer was complete');
  });

  it('fails retryably on an error reported inside the stream, after the text before it', async () => {
    server.respondWith(
      streamEvents([chunk({ content: 'Sure' }), { error: { message: 'upstream overloaded', type: 'server_error' } }]),
    );
    const { events, error } = await collectUntilError(modelWith());
    expect(textOf(events)).to.equal('Sure');
    expect(expectLlmError(error, 'VB_ENGINE_FAILED', true).message).to.include('upstream overloaded');
  });

  it('fails retryably on a chunk that is not JSON or not a chat.completion.chunk', async () => {
    server.respondWith(streamEvents(['{"choices": [ {"delta": {"content": "private words"']));
    const notJson = expectLlmError((await collectUntilError(modelWith())).error, 'VB_ENGINE_FAILED', true);
    expect(`${notJson.message} ${String(notJson.cause)}`).not.to.include('private words');
    server.respondWith(streamEvents([{ choices: 'nope' }]));
    expect(expectLlmError((await collectUntilError(modelWith())).error, 'VB_ENGINE_FAILED', true).message).to.include(
      'malformed stream',
    );
  });

  it('fails retryably when nothing listens at the base URL', async () => {
    // Checked free below the ephemeral range: a port the kernel just handed out and took back may be
    // handed to someone else's listener at once.
    const port = await freePort('tcp');
    const { error } = await collectUntilError(modelWith({ baseUrl: `http://127.0.0.1:${port}/v1` }));
    expect(expectLlmError(error, 'VB_ENGINE_FAILED', true).message).to.include('could not reach the provider');
  });

  it('times out retryably when the server never answers', async () => {
    server.respondWith(stallBeforeHeaders());
    const { error } = await collectUntilError(modelWith({ timeoutMs: 100, firstTokenTimeoutMs: 10_000 }));
    expect(expectLlmError(error, 'VB_REQUEST_TIMEOUT', true).message).to.include('silent');
    await server.requests[0]?.closed;
  });

  it('times out retryably when the stream stalls, after the text already yielded', async () => {
    server.respondWith(streamText(['Let me see'], { done: false, finishReason: null, ending: 'stall' }));
    const { events, error } = await collectUntilError(modelWith({ timeoutMs: 300, firstTokenTimeoutMs: 10_000 }));
    expect(textOf(events)).to.equal('Let me see');
    expect(expectLlmError(error, 'VB_REQUEST_TIMEOUT', true).message).to.include('silent');
    await server.requests[0]?.closed;
  });

  it('times out on the first token even while keep-alives arrive', async () => {
    server.respondWith(keepAliveOnly(10));
    const { error } = await collectUntilError(modelWith({ timeoutMs: 5000, firstTokenTimeoutMs: 100 }));
    expect(expectLlmError(error, 'VB_REQUEST_TIMEOUT', true).message).to.include('no first token');
  });

  it('does not count the time the consumer holds an event against the provider', async () => {
    server.respondWith(streamText(['one', ' two']));
    const events = [];
    for await (const event of modelWith({ timeoutMs: 300 }).stream({
      messages: [{ role: 'user', content: 'Hi' }],
      signal: AbortSignal.timeout(10_000),
    })) {
      events.push(event);
      // Far longer than timeoutMs: a slow text-to-speech must not make the model look silent.
      // eslint-disable-next-line no-restricted-globals -- the consumer being busy for a while is what is tested
      if (events.length === 1) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(textOf(events)).to.equal('one two');
    expect(events.at(-1)).to.deep.equal({ type: 'done', finishReason: 'stop' });
  });

  it('ends with the signal reason and closes the connection when aborted mid-stream', async () => {
    server.respondWith(streamText(['Hello'], { done: false, finishReason: null, ending: 'stall' }));
    const abort = new AbortController();
    const reason = new Error('caller barged in');
    const seen: string[] = [];
    let error: unknown;
    try {
      for await (const event of modelWith().stream({
        messages: [{ role: 'user', content: 'Hi' }],
        signal: abort.signal,
      })) {
        if (event.type === 'text') seen.push(event.delta);
        abort.abort(reason);
      }
    } catch (caught) {
      error = caught;
    }
    expect(error).to.equal(reason);
    expect(seen).to.deep.equal(['Hello']);
    await server.requests[0]?.closed;
  });

  it('ends with the signal reason while waiting for the headers, and sends nothing when already aborted', async () => {
    server.respondWith(stallBeforeHeaders());
    const reason = new Error('hung up');
    const waiting = new AbortController();
    const pending = collectUntilError(modelWith(), { signal: waiting.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    waiting.abort(reason);
    expect((await pending).error).to.equal(reason);
    const { error } = await collectUntilError(modelWith(), { signal: AbortSignal.abort(reason) });
    expect(error).to.equal(reason);
    expect(server.requests).to.have.length(1);
  });
});
