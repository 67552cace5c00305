import { expect } from 'chai';
import { createOfflineEngines } from '../../src/engines.ts';
import { concat, muLawRoundTrip, silence, synthesizeAll } from '../engines/audio-helpers.ts';
import { DEFAULT_SYSTEM_PROMPT, LLM_AGENT_PHRASES } from '../../src/agents/llm-agent.ts';
import { REFUSED_LINE } from '../../src/call/agent-call.ts';
import { chunk, errorReply, streamEvents, streamText, type Script } from '../llm/fake-openai-server.ts';
import { useLlmCallSuite, type LlmCallHarness } from './llm-call-harness.ts';

const KEY = 'sk-test-0123456789abcdefghijklmnop';
const PROMPT = 'You are the front desk of the Harbour Dental clinic. Be brief.';

/** The messages of a recorded chat-completions request. */
function messagesOf(body: unknown): Array<{ role: string; content?: string | null; tool_call_id?: string }> {
  return (body as { messages: Array<{ role: string; content?: string | null; tool_call_id?: string }> }).messages;
}

/** A streamed answer that says `text` and then calls `name` (finish reason `tool_calls`). */
function toolCallAnswer(text: string, name: string, id = 'call_1'): Script {
  const payloads = [chunk({ role: 'assistant', content: '' })];
  if (text !== '') payloads.push(chunk({ content: text }));
  payloads.push(chunk({ tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }));
  payloads.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }));
  payloads.push(chunk({}, 'tool_calls'));
  return streamEvents(payloads);
}

describe('LlmAgent over a real call channel (Redis), real flite, a local OpenAI-compatible server', function () {
  this.timeout(30_000);
  const suite = useLlmCallSuite({
    options: (server) => ({
      llm: {
        baseUrl: server.baseUrl,
        model: 'fake-model',
        apiKeyEnv: 'VB_TEST_LLM_KEY',
        temperature: 0.3,
        maxTokens: 150,
      },
      prompt: PROMPT,
      greeting: 'Harbour Dental, how can I help?',
      env: { VB_TEST_LLM_KEY: KEY },
    }),
  });

  it('greets, sends the system prompt and the caller words, speaks the streamed answer and records both sides', async () => {
    suite.server.respondWith(streamText(['We are open ', 'from nine ', 'to five. ', 'On Saturdays ', 'until noon.']));
    const call = await suite.start();
    await call.greeted();
    expect(call.media.audioAfterMark(0), 'greeting audio').to.be.greaterThan(8000 * 0.5);
    call.stt.hear('when are you open');
    await call.waitForTranscript((t) => t.length >= 3, 'the answer in the transcript');
    await call.media.waitFor(() => call.marks() >= 2, 'the end-of-answer mark');

    expect(suite.server.requests).to.have.length(1);
    const request = suite.server.requests[0]!;
    expect(request.headers.authorization).to.equal(`Bearer ${KEY}`);
    const body = request.body as {
      model: string;
      temperature: number;
      max_tokens: number;
      tools: Array<{ function: { name: string } }>;
    };
    expect(body.model).to.equal('fake-model');
    expect(body.temperature).to.equal(0.3);
    expect(body.max_tokens).to.equal(150);
    expect(body.tools.map((t) => t.function.name)).to.deep.equal(['end_call', 'send_dtmf']);
    const messages = messagesOf(body);
    expect(messages[0]).to.deep.equal({ role: 'system', content: PROMPT });
    expect(messages.at(-1)).to.deep.equal({ role: 'user', content: 'when are you open' });

    // The answer's audio reached the media side of the channel, behind the greeting's mark.
    expect(call.media.audioAfterMark(1), 'answer audio').to.be.greaterThan(8000);
    expect(call.transcript).to.deep.equal([
      { speaker: 'agent', text: 'Harbour Dental, how can I help?' },
      { speaker: 'caller', text: 'when are you open' },
      { speaker: 'agent', text: 'We are open from nine to five. On Saturdays until noon.' },
    ]);
    const log = call.logText.join('');
    expect(log).not.to.include(KEY);
    expect(log).not.to.include(PROMPT);
    // The turn was timed stage by stage, in order, up to the timing mark behind the first frame.
    await call.media.waitFor(() => call.turns.length === 1, 'the turn timing');
    const turn = call.turns[0]!;
    expect(turn).to.include({ turn: 1, interruptions: 0 });
    const stages = [turn.sttFinalAtMs, turn.answerAtMs, turn.ttsFirstAudioAtMs, turn.firstRtpAtMs];
    expect(
      stages.every((ms) => typeof ms === 'number'),
      JSON.stringify(turn),
    ).to.equal(true);
    expect([...stages].sort((a, b) => a! - b!)).to.deep.equal(stages);
  });

  it('the first clause reaches the media side while the model still holds back its last tokens', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let firstPartSent!: () => void;
    const firstPart = new Promise<void>((resolve) => (firstPartSent = resolve));
    suite.server.respondWith(async (request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(
        `data: ${JSON.stringify(chunk({ role: 'assistant', content: 'We are open from nine to five. ' }))}\n\n`,
      );
      response.write(`data: ${JSON.stringify(chunk({ content: 'And on Saturdays' }))}\n\n`);
      firstPartSent();
      await released;
      response.write(`data: ${JSON.stringify(chunk({ content: ' until noon.' }))}\n\n`);
      response.write(`data: ${JSON.stringify(chunk({}, 'stop'))}\n\ndata: [DONE]\n\n`);
      response.end();
      await request.closed;
    });
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('when are you open');
    await firstPart;
    // Waits for audio only: if the agent waited for the whole answer, this would never come.
    await call.media.waitFor(() => call.media.audioAfterMark(1) > 8000, 'the first clause audio before the last token');
    expect(call.transcript.filter((t) => t.speaker === 'agent')).to.have.length(1);
    release();
    await call.waitForTranscript((t) => t.length >= 3, 'the whole answer');
    expect(call.transcript.at(-1)).to.deep.equal({
      speaker: 'agent',
      text: 'We are open from nine to five. And on Saturdays until noon.',
    });
  });

  it('keeps the conversation: the second request carries the first exchange', async () => {
    suite.server.respondWith(streamText(['Nine to five.']));
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('when are you open');
    await call.media.waitFor(() => call.marks() >= 2, 'the first answer');
    suite.server.respondWith(streamText(['On the harbour front.']));
    call.stt.hear('where are you');
    await call.media.waitFor(() => call.marks() >= 3, 'the second answer');
    const messages = messagesOf(suite.server.requests[1]!.body);
    expect(messages.map((m) => [m.role, m.content])).to.deep.equal([
      ['system', PROMPT],
      ['assistant', 'Harbour Dental, how can I help?'],
      ['user', 'when are you open'],
      ['assistant', 'Nine to five.'],
      ['user', 'where are you'],
    ]);
  });

  it('end_call: says goodbye, then sends hangup (agent-hangup) behind the goodbye audio', async () => {
    suite.server.respondWith(toolCallAnswer('Goodbye, and thank you for calling.', 'end_call'));
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('that is all thanks');
    await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
    const controls = call.media.controls();
    expect(controls.at(-1)).to.deep.equal({ event: 'hangup', reason: 'agent-hangup' });
    expect(controls.at(-2)?.event, 'the goodbye was played before the hangup').to.equal('mark');
    expect(call.media.audioAfterMark(1), 'goodbye audio').to.be.greaterThan(8000);
    expect(call.transcript.at(-1)).to.deep.equal({ speaker: 'agent', text: 'Goodbye, and thank you for calling.' });
  });

  it('end_call without words: the agent says its own goodbye first', async () => {
    suite.server.respondWith(toolCallAnswer('', 'end_call'));
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('bye');
    await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
    expect(call.transcript.at(-1)).to.deep.equal({ speaker: 'agent', text: LLM_AGENT_PHRASES.goodbye });
  });

  it('another tool: answered "not available", the model asked again, its answer spoken', async () => {
    suite.server.respondWith((request, response) =>
      messagesOf(request.body).at(-1)?.role === 'tool'
        ? streamText(['I cannot transfer you, but I can help here.'])(request, response)
        : toolCallAnswer('', 'transfer_call', 'call_7')(request, response),
    );
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('put me through to a person');
    await call.media.waitFor(() => call.marks() >= 2, 'the follow-up answer');
    // A plain answer goes into the transcript once it was played out (it could still be interrupted).
    await call.waitForTranscript((t) => t.at(-1)?.speaker === 'agent', 'the follow-up in the transcript');
    expect(suite.server.requests).to.have.length(2);
    const toolMessage = messagesOf(suite.server.requests[1]!.body).at(-1)!;
    expect(toolMessage.role).to.equal('tool');
    expect(toolMessage.tool_call_id).to.equal('call_7');
    expect(toolMessage.content).to.include('not available');
    expect(call.transcript.at(-1)).to.deep.equal({
      speaker: 'agent',
      text: 'I cannot transfer you, but I can help here.',
    });
    expect(call.media.controls().some((c) => c.event === 'hangup')).to.equal(false);
  });

  it('tool calls are bounded: after 3 follow-up rounds the agent apologises and keeps listening', async () => {
    suite.server.respondWith(toolCallAnswer('', 'lookup_order'));
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('where is my order');
    await call.waitForTranscript((t) => t.at(-1)?.text === LLM_AGENT_PHRASES.cannotDo, 'the apology');
    expect(suite.server.requests).to.have.length(4);
  });

  it('a 500 from the server: "one moment", one retry, then an apology; the call stays up and the next turn is answered', async () => {
    suite.server.respondWith(errorReply(500, { error: { message: 'upstream exploded', type: 'server_error' } }));
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('when are you open');
    await call.waitForTranscript((t) => t.at(-1)?.text === LLM_AGENT_PHRASES.apology, 'the apology');
    expect(suite.server.requests, 'one retry').to.have.length(2);
    expect(call.transcript.map((t) => t.text)).to.include(LLM_AGENT_PHRASES.oneMoment);
    expect(call.media.controls().some((c) => c.event === 'hangup')).to.equal(false);

    suite.server.respondWith(streamText(['Nine to five.']));
    call.stt.hear('when are you open');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Nine to five.', 'the next answer');
    const result = await call.close();
    expect(result.stopReason).to.equal('caller-bye');
  });

  it('a rejected key (401) is not retried: an apology, logged without the key', async () => {
    suite.server.respondWith(errorReply(401, { error: { message: `Incorrect API key provided: ${KEY}` } }));
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('hello');
    await call.waitForTranscript((t) => t.at(-1)?.text === LLM_AGENT_PHRASES.apology, 'the apology');
    expect(suite.server.requests).to.have.length(1);
    const log = call.logText.join('');
    expect(log).to.include('language model refused the request');
    expect(log).not.to.include(KEY);
  });

  it('a server that refuses tools (400): the call goes on without them', async () => {
    suite.server.respondWith((request, response) =>
      (request.body as { tools?: unknown[] }).tools === undefined
        ? streamText(['Nine to five.'])(request, response)
        : errorReply(400, {
            error: { message: 'registry.ollama.ai/library/gemma2:2b does not support tools', type: 'api_error' },
          })(request, response),
    );
    const call = await suite.start();
    await call.greeted();
    call.stt.hear('when are you open');
    await call.waitForTranscript((t) => t.at(-1)?.text === 'Nine to five.', 'the answer');
    call.stt.hear('thanks');
    await call.media.waitFor(() => call.marks() >= 3, 'the second answer');
    expect(suite.server.requests.map((r) => (r.body as { tools?: unknown[] }).tools === undefined)).to.deep.equal([
      false,
      true,
      true,
    ]);
    expect(call.transcript.map((t) => t.text)).to.not.include(LLM_AGENT_PHRASES.apology);
  });

  it('an unset key variable: the caller hears an apology, the call is hung up, the log names the variable only', async () => {
    const call = await suite.start({ env: {} });
    await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
    expect(call.media.controls().at(-1)).to.deep.equal({
      event: 'hangup',
      reason: 'error',
      code: 'VB_CONFIG_INVALID',
      detail:
        'language model not usable: llm.apiKeyEnv: environment variable VB_TEST_LLM_KEY is not set for the agent worker',
    });
    expect(call.transcript).to.deep.equal([{ speaker: 'agent', text: REFUSED_LINE }]);
    expect(call.logText.join('')).to.include('VB_TEST_LLM_KEY');
    expect(suite.server.requests).to.have.length(0);
  });

  it('a key variable off AGENT_SECRET_ENV: refused before any request, the log names the list, never a value', async () => {
    const call = await suite.start({
      llm: { baseUrl: suite.server.baseUrl, model: 'fake-model', apiKeyEnv: 'ADMIN_TOKEN' },
      env: { ADMIN_TOKEN: 'admin-secret-value' },
      secretEnv: 'OPENAI_API_KEY,VB_SECRET_*',
    });
    await call.media.waitFor(() => call.media.controls().some((c) => c.event === 'hangup'), 'the hangup');
    const log = call.logText.join('');
    expect(log).to.include(
      "environment variable ADMIN_TOKEN is not on the agent's secret allow-list (AGENT_SECRET_ENV=OPENAI_API_KEY,VB_SECRET_*)",
    );
    expect(log).to.not.include('admin-secret-value');
    expect(suite.server.requests).to.have.length(0);
  });

  it('without a prompt the default system prompt is sent', async () => {
    suite.server.respondWith(streamText(['Hello.']));
    const call = await suite.start({ prompt: undefined });
    await call.greeted();
    call.stt.hear('hi');
    await call.media.waitFor(() => call.marks() >= 2, 'the answer');
    expect(messagesOf(suite.server.requests[0]!.body)[0]).to.deep.equal({
      role: 'system',
      content: DEFAULT_SYSTEM_PROMPT,
    });
  });

  it('with the real offline recogniser: the caller asks through G.711, the model gets the words, its answer is spoken', async () => {
    const engines = createOfflineEngines({ poolSize: 1 });
    let started: LlmCallHarness | undefined;
    try {
      suite.server.respondWith(streamText(['We are open from nine to five.']));
      const call = (started = await suite.start({ stt: engines.stt }));
      await call.media.waitFor(() => call.marks() >= 1, 'the greeting');
      const question = await synthesizeAll(suite.tts, 'What are your opening hours?');
      // Silence after the words: the recogniser ends an utterance after 0.5 s without speech.
      call.media.sendCallerAudio(muLawRoundTrip(concat([silence(300), question, silence(1500)])));
      await call.media.waitFor(() => call.marks() >= 2, 'the answer', 25_000);
      const heard = messagesOf(suite.server.requests[0]!.body).at(-1)!;
      expect(heard.role).to.equal('user');
      expect(heard.content).to.match(/hours/);
      expect(call.media.audioAfterMark(1), 'answer audio').to.be.greaterThan(8000);
    } finally {
      // The call before the recogniser it uses.
      await started?.close();
      await engines.close();
    }
  });
});
