import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NumberConfig, WebhookTool } from '@voicebridge/protocol';
import { LLM_AGENT_PHRASES } from '../../src/agents/llm-agent.ts';
import { chunk, errorReply, streamEvents, streamText, type Script } from '../llm/fake-openai-server.ts';
import { useLlmCallSuite, type LlmCallHarness } from './llm-call-harness.ts';
import { holdsFor, schedule, waitFor, withTimeout } from '../../../../test/support/wait-for.ts';

function messagesOf(body: unknown): Array<{ role: string; content?: string | null }> {
  return (body as { messages: Array<{ role: string; content?: string | null }> }).messages;
}

function lastUserWords(body: unknown): string | undefined {
  return (
    messagesOf(body)
      .filter((m) => m.role === 'user')
      .at(-1)?.content ?? undefined
  );
}

/** An answer that says `text` and calls each tool (finish reason `tool_calls`). */
function answerWithTools(text: string, calls: Array<{ name: string; args: string }>): Script {
  const payloads = [chunk({ role: 'assistant', content: '' }), chunk({ content: text })];
  calls.forEach(({ name, args }, index) =>
    payloads.push(
      chunk({ tool_calls: [{ index, id: `call_${index}`, type: 'function', function: { name, arguments: args } }] }),
    ),
  );
  payloads.push(chunk({}, 'tool_calls'));
  return streamEvents(payloads);
}

/** A model server's think time before its first token. */
const serverDelay = (ms: number): Promise<void> => new Promise((resolve) => schedule(ms, resolve));

/** 20 ms frames of a 400 Hz tone at about -20 dBFS: the caller's voice as the agent's VAD sees it. */
function voice(ms: number): Int16Array {
  const pcm = new Int16Array((ms / 1000) * 8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(4600 * Math.sin((2 * Math.PI * 400 * i) / 8000));
  return pcm;
}

const STABLE_MS = 100;

describe('llm agent: the answer starts on a stable interim transcript (real channel, flite, local model server)', function () {
  this.timeout(30_000);
  const suite = useLlmCallSuite();
  let webhook: Server | undefined;
  afterEach(() => {
    webhook?.closeAllConnections();
    webhook?.close();
    webhook = undefined;
  });

  type LlmAgentConfig = Extract<NumberConfig['agent'], { kind: 'llm' }>;
  const llmAgent = (extra: Partial<LlmAgentConfig> = {}): LlmAgentConfig => ({
    kind: 'llm',
    greeting: 'Hello.',
    llm: { baseUrl: suite.server.baseUrl, model: 'fake-model' },
    partialStableMs: STABLE_MS,
    ...extra,
  });

  /** Samples of agent audio the media side has received so far. */
  const audioSamples = (call: LlmCallHarness): number =>
    call.media.events.reduce((n, e) => n + (e.kind === 'audio' ? e.samples.length : 0), 0);

  it('partial and final differ: the early answer is discarded unheard, its tools never run; the final is answered, its tool run after it', async () => {
    const received: unknown[] = [];
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (d: Buffer) => (body += d.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"booked":true}');
      });
    });
    webhook.listen(0, '127.0.0.1');
    await once(webhook, 'listening');
    const tool: WebhookTool = {
      name: 'book_table',
      description: 'Books a table.',
      parameters: { type: 'object', properties: { party: { type: 'string' } } },
      url: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/book`,
      timeoutMs: 5000,
    };
    let earlyDone!: () => void;
    const earlyAnswered = new Promise<void>((resolve) => (earlyDone = resolve));
    suite.server.respondWith(async (request, response) => {
      const messages = messagesOf(request.body);
      if (messages.at(-1)?.role === 'tool') return streamText(['Done, a table for two.'])(request, response);
      if (lastUserWords(request.body) === 'book a table') {
        // Words and a hang-up and a booking: none of it may happen for words the caller did not finish.
        await answerWithTools('We have a table at seven, goodbye.', [
          { name: 'book_table', args: '{"party":"1"}' },
          { name: 'end_call', args: '{}' },
        ])(request, response);
        earlyDone();
        return;
      }
      return answerWithTools('Booking for two.', [{ name: 'book_table', args: '{"party":"2"}' }])(request, response);
    });
    const call = await suite.start({ agentConfig: llmAgent({ tools: [tool] }) });
    await call.greeted();
    const greetingSamples = audioSamples(call);

    call.stt.hearPartial('book a table');
    await withTimeout(earlyAnswered, 'the early request answered in full', 10_000);
    expect(suite.server.requests).to.have.length(1);
    // The early answer is complete, tool calls and all, and held: nothing reaches the caller.
    await holdsFor(
      'no audio, webhook call or hangup from the early answer',
      500,
      () =>
        audioSamples(call) === greetingSamples &&
        received.length === 0 &&
        !call.media.controls().some((c) => c.event === 'hangup'),
    );

    call.stt.hear('book a table for two');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Done, a table for two.', 'the answer to the final');
    expect(suite.server.requests.map((r) => lastUserWords(r.body))).to.deep.equal([
      'book a table',
      'book a table for two',
      'book a table for two',
    ]);
    expect(received).to.deep.equal([
      { callId: call.callId, number: '+15550001111', tool: 'book_table', arguments: { party: '2' } },
    ]);
    expect(call.media.controls().some((c) => c.event === 'hangup')).to.equal(false);
    expect(call.transcript).to.deep.equal([
      { speaker: 'agent', text: 'Hello.' },
      { speaker: 'caller', text: 'book a table for two' },
      { speaker: 'agent', text: 'Booking for two.' },
      { speaker: 'agent', text: 'Done, a table for two.' },
    ]);
    await call.media.waitFor(() => call.turns.length === 1 && call.turns[0]!.firstRtpAtMs !== undefined, 'the turn');
    expect(call.turns[0]).to.include({ restarts: 1 });
    expect(call.turns[0]).to.not.have.any.keys('earlyRequestAtMs', 'firstTokenEarlierMs');
    await call.close();
    expect(call.logText.join('')).to.match(/"modelRequests":3,"earlyAnswers":0,"earlyDiscarded":1/);
  });

  it('the final confirms the words: no second request, and the first token was there before the final', async () => {
    const FIRST_TOKEN_DELAY_MS = 300;
    let earlyDone!: () => void;
    const earlyAnswered = new Promise<void>((resolve) => (earlyDone = resolve));
    suite.server.respondWith(async (request, response) => {
      await serverDelay(FIRST_TOKEN_DELAY_MS);
      await streamText(['We open at nine.'])(request, response);
      earlyDone();
    });
    const call = await suite.start({ agentConfig: llmAgent() });
    await call.greeted();
    call.stt.hearPartial('when do you');
    call.stt.hearPartial('when do you open');
    await withTimeout(earlyAnswered, 'the early answer', 10_000);
    // The recogniser's final formats the words its own way: still the same words.
    call.stt.hear('When do you open?');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'We open at nine.', 'the answer');
    expect(suite.server.requests).to.have.length(1);
    expect(lastUserWords(suite.server.requests[0]!.body)).to.equal('when do you open');
    await call.media.waitFor(() => call.turns[0]?.firstRtpAtMs !== undefined, 'the turn');
    const turn = call.turns[0]!;
    expect(turn.earlyRequestAtMs, JSON.stringify(turn)).to.be.a('number');
    expect(turn.earlyRequestAtMs!).to.be.at.most(turn.sttFinalAtMs);
    expect(turn.answerAtMs!).to.be.at.least(turn.sttFinalAtMs);
    expect(turn).to.not.have.property('restarts');
    // The server held the first token back for 300 ms and the final came after the whole answer:
    // the head start covers all of the time to the first token.
    expect(turn.firstTokenEarlierMs).to.be.at.least(FIRST_TOKEN_DELAY_MS - 5);
    await call.close();
    expect(call.logText.join('')).to.match(/"modelRequests":1,"earlyAnswers":1,"earlyDiscarded":0/);
  });

  for (const how of ['an interim with more words', "the caller's voice"] as const)
    it(`the caller going on (${how}) cancels the early request; at most one restart, the final is answered`, async () => {
      suite.server.respondWith((request, response) =>
        suite.server.requests.length === 1
          ? streamText(['Of course.'], { ending: 'stall', done: false, finishReason: null })(request, response)
          : streamText(['A table for two at seven.'])(request, response),
      );
      const call = await suite.start({ agentConfig: llmAgent() });
      await call.greeted();
      call.stt.hearPartial('i would like');
      await waitFor('the early request', 10_000, () => suite.server.requests.length === 1);
      if (how === "the caller's voice") call.media.sendCallerAudio(voice(200));
      else call.stt.hearPartial('i would like to book');
      await withTimeout(suite.server.requests[0]!.closed, 'the early request cancelled', 10_000);
      // Stable words again, but the turn already had its restart: it waits for the final.
      call.stt.hearPartial('i would like to book a table');
      await holdsFor('one request only', STABLE_MS * 4, () => suite.server.requests.length === 1);
      call.stt.hear('I would like to book a table');
      await call.waitForTranscript((t) => t.at(-1)?.text === 'A table for two at seven.', 'the answer');
      expect(suite.server.requests).to.have.length(2);
      expect(lastUserWords(suite.server.requests[1]!.body)).to.equal('I would like to book a table');
      expect(call.transcript.map((t) => t.text)).to.not.include('Of course.');
      await call.media.waitFor(() => call.turns[0]?.firstRtpAtMs !== undefined, 'the turn');
      expect(call.turns[0]).to.include({ restarts: 1 });
    });

  it('an early request that fails is dropped without a word; the final is asked normally', async () => {
    let earlyFailed = false;
    suite.server.respondWith(async (request, response) => {
      if (suite.server.requests.length > 1) return streamText(['We open at nine.'])(request, response);
      await errorReply(500, { error: { message: 'overloaded', type: 'server_error' } })(request, response);
      await request.closed;
      earlyFailed = true;
    });
    const call = await suite.start({ agentConfig: llmAgent() });
    await call.greeted();
    call.stt.hearPartial('when do you open');
    await waitFor('the early request', 10_000, () => suite.server.requests.length === 1);
    await waitFor('the early request answered', 10_000, () => earlyFailed);
    call.stt.hear('when do you open');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'We open at nine.', 'the answer');
    expect(suite.server.requests).to.have.length(2);
    expect(call.transcript.map((t) => t.text)).to.not.include(LLM_AGENT_PHRASES.oneMoment);
    expect(call.transcript.map((t) => t.text)).to.not.include(LLM_AGENT_PHRASES.apology);
  });

  it('an early request that fails only after the final confirmed it is asked again, without a word', async () => {
    let fail: (() => void) | undefined;
    suite.server.respondWith(async (request, response) => {
      if (suite.server.requests.length > 1) return streamText(['We open at nine.'])(request, response);
      // Held until the turn was taken: the failure reaches an answer already released into it.
      await new Promise<void>((resolve) => (fail = resolve));
      await errorReply(500, { error: { message: 'overloaded', type: 'server_error' } })(request, response);
    });
    const call = await suite.start({ agentConfig: llmAgent() });
    await call.greeted();
    call.stt.hearPartial('when do you open');
    await waitFor('the early request', 10_000, () => fail !== undefined);
    call.stt.hear('when do you open');
    await holdsFor('the turn waits on the early request', 300, () => suite.server.requests.length === 1);
    fail?.();
    await call.waitForTranscript((t) => t.at(-1)?.text === 'We open at nine.', 'the answer');
    expect(suite.server.requests).to.have.length(2);
    expect(lastUserWords(suite.server.requests[1]?.body)).to.equal('when do you open');
    expect(call.transcript.map((t) => t.text)).to.not.include(LLM_AGENT_PHRASES.oneMoment);
    expect(call.transcript.map((t) => t.text)).to.not.include(LLM_AGENT_PHRASES.apology);
    await call.media.waitFor(() => call.turns[0]?.firstRtpAtMs !== undefined, 'the turn');
    expect(call.turns[0]).to.include({ restarts: 1 });
    expect(call.turns[0]).to.not.have.any.keys('earlyRequestAtMs', 'firstTokenEarlierMs');
    await call.close();
    expect(call.logText.join('')).to.match(/"modelRequests":2,"earlyAnswers":0,"earlyDiscarded":1/);
  });

  it('answerStart final: interims start nothing, the final is asked', async () => {
    suite.server.respondWith(streamText(['We open at nine.']));
    const call = await suite.start({ agentConfig: llmAgent({ answerStart: 'final' }) });
    await call.greeted();
    call.stt.hearPartial('when do you open');
    await holdsFor('no request before the final', STABLE_MS * 4, () => suite.server.requests.length === 0);
    call.stt.hear('when do you open');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'We open at nine.', 'the answer');
    expect(suite.server.requests).to.have.length(1);
    await call.media.waitFor(() => call.turns[0]?.firstRtpAtMs !== undefined, 'the turn');
    expect(call.turns[0]).to.not.have.any.keys('earlyRequestAtMs', 'restarts', 'firstTokenEarlierMs');
  });
});
