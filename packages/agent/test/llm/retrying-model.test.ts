import { expect } from 'chai';
import type { LanguageModel, LlmEvent, LlmRequest } from '../../src/llm/language-model.ts';
import { LlmError } from '../../src/llm/llm-error.ts';
import { OpenAiCompatibleModel } from '../../src/llm/openai-compatible.ts';
import { RetryingModel } from '../../src/llm/retrying-model.ts';
import { errorReply, FakeOpenAiServer, streamText, type Script } from './fake-openai-server.ts';
import { collect, collectUntilError, textOf } from './llm-helpers.ts';

type Step = { events: LlmEvent[]; error?: unknown };

/** A model that plays one step per call: some events, then maybe an error. */
class ScriptedModel implements LanguageModel {
  calls = 0;
  readonly #steps: Step[];

  constructor(steps: Step[]) {
    this.#steps = steps;
  }

  async *stream(_request: LlmRequest): AsyncGenerator<LlmEvent> {
    const step = this.#steps[this.calls++];
    if (step === undefined) throw new Error('no more steps');
    for (const event of step.events) yield await Promise.resolve(event);
    if (step.error !== undefined) throw step.error;
  }
}

const ANSWER: LlmEvent[] = [
  { type: 'text', delta: 'Hello.' },
  { type: 'done', finishReason: 'stop' },
];
const overloaded = (retryAfterMs?: number): LlmError =>
  new LlmError('fake', 'VB_ENGINE_FAILED', 'provider error (503)', { status: 503, retryAfterMs });

describe('RetryingModel', () => {
  let waits: number[];
  const sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
    if (signal.aborted) throw signal.reason;
    waits.push(ms);
  };

  beforeEach(() => {
    waits = [];
  });

  it('retries a retryable failure that came before any event, after the backoff', async () => {
    const inner = new ScriptedModel([{ events: [], error: overloaded() }, { events: ANSWER }]);
    expect(await collect(new RetryingModel(inner, { backoffMs: 100, sleep }))).to.deep.equal(ANSWER);
    expect(inner.calls).to.equal(2);
    expect(waits).to.deep.equal([100]);
  });

  it("waits what the provider's Retry-After asked, and gives up at once when that is longer than maxWaitMs", async () => {
    const honoured = new ScriptedModel([{ events: [], error: overloaded(700) }, { events: ANSWER }]);
    await collect(new RetryingModel(honoured, { sleep, maxWaitMs: 1000 }));
    expect(waits).to.deep.equal([700]);
    const tooLong = overloaded(30_000);
    const refused = new ScriptedModel([{ events: [], error: tooLong }, { events: ANSWER }]);
    expect((await collectUntilError(new RetryingModel(refused, { sleep, maxWaitMs: 1000 }))).error).to.equal(tooLong);
    expect(refused.calls).to.equal(1);
  });

  it('does not retry once text was yielded: it could be spoken twice', async () => {
    const dropped = overloaded();
    const inner = new ScriptedModel([
      { events: [{ type: 'text', delta: 'We open' }], error: dropped },
      { events: ANSWER },
    ]);
    const { events, error } = await collectUntilError(new RetryingModel(inner, { sleep }));
    expect(textOf(events)).to.equal('We open');
    expect(error).to.equal(dropped);
    expect(inner.calls).to.equal(1);
  });

  it('does not retry a non-retryable error, nor past the number of attempts', async () => {
    const badKey = new LlmError('fake', 'VB_CONFIG_INVALID', 'the provider rejected the API key (401)', {
      status: 401,
    });
    const once = new ScriptedModel([{ events: [], error: badKey }]);
    expect((await collectUntilError(new RetryingModel(once, { sleep }))).error).to.equal(badKey);
    expect(once.calls).to.equal(1);
    const last = overloaded();
    const thrice = new ScriptedModel([
      { events: [], error: overloaded() },
      { events: [], error: overloaded() },
      { events: [], error: last },
      { events: ANSWER },
    ]);
    expect((await collectUntilError(new RetryingModel(thrice, { attempts: 3, backoffMs: 10, sleep }))).error).to.equal(
      last,
    );
    expect(thrice.calls).to.equal(3);
    expect(waits).to.deep.equal([10, 20]);
  });

  it('ends with the signal reason when aborted while waiting to retry', async () => {
    const abort = new AbortController();
    const reason = new Error('caller hung up');
    const inner = new ScriptedModel([{ events: [], error: overloaded() }, { events: ANSWER }]);
    const model = new RetryingModel(inner, { backoffMs: 60_000, maxWaitMs: 120_000 });
    const pending = collectUntilError(model, { signal: abort.signal });
    await Promise.resolve();
    abort.abort(reason);
    expect((await pending).error).to.equal(reason);
    expect(inner.calls).to.equal(1);
  });

  it('gets an answer from a real HTTP server after a 429 with Retry-After: 0', async () => {
    const server = await FakeOpenAiServer.start();
    try {
      const limited = errorReply(429, { error: { message: 'Rate limit reached' } }, { 'retry-after': '0' });
      const answer = streamText(['Hello', ' again.']);
      const script: Script = (request, response) =>
        (server.requests.length === 1 ? limited : answer)(request, response);
      server.respondWith(script);
      const model = new RetryingModel(
        new OpenAiCompatibleModel({ baseUrl: server.baseUrl, model: 'fake-model', timeoutMs: 5000 }),
        { sleep },
      );
      expect(textOf(await collect(model))).to.equal('Hello again.');
      expect(server.requests).to.have.length(2);
      expect(waits).to.deep.equal([0]);
    } finally {
      await server.close();
    }
  });
});
