import { expect } from 'chai';
import type { AgentDecision, NumberConfig } from '@voicebridge/protocol';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { LlmCallHarness, type CallHarnessOptions } from '../agents/llm-call-harness.ts';
import { concat, synthesizeAll } from '../engines/audio-helpers.ts';
import { RealtimeWireServer, type ClientEvent } from './realtime-wire-server.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';

// The server side is written from OpenAI's published GA Realtime reference (cited in
// realtime-wire-server.ts): https://developers.openai.com/api/reference/resources/realtime/client-events

type Agent = Extract<NumberConfig['agent'], { kind: 'realtime' }>;
const KEY_ENV = 'VB_TEST_LLM_KEY';
const KEY = 'sk-test-realtime-key';

/** 20 ms frames of a loud tone: the caller talking (about -12 dBFS). */
function voice(ms: number, amplitude = 8000): Int16Array {
  return Int16Array.from({ length: ms * 8 }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * 300 * i) / 8000)),
  );
}

describe('realtime agent kind: OpenAI Realtime GA over a real call channel (Redis), local wire server, flite audio', function () {
  this.timeout(30_000);
  let tts: FliteTts;
  let hello: Int16Array;
  let answer: Int16Array;
  let server: RealtimeWireServer;
  const calls: LlmCallHarness[] = [];

  before(async () => {
    tts = new FliteTts();
    hello = await synthesizeAll(tts, 'Hello, thanks for calling.');
    answer = concat([await synthesizeAll(tts, 'Your order ships tomorrow morning by courier.'), new Int16Array(3)]);
  });
  after(() => tts.close());
  beforeEach(async () => {
    server = await RealtimeWireServer.start();
  });
  afterEach(async () => {
    for (const c of calls.splice(0)) await c.close();
    await server.close();
  });

  const call = async (
    agent: Partial<Agent> = {},
    overrides: Partial<CallHarnessOptions> = {},
  ): Promise<LlmCallHarness> => {
    const started = await LlmCallHarness.start({
      llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'none' },
      env: { [KEY_ENV]: KEY },
      tts,
      agentConfig: {
        kind: 'realtime',
        prompt: 'You are the shop assistant.',
        greeting: 'Hello, thanks for calling.',
        realtime: {
          provider: 'openai',
          model: 'gpt-realtime',
          url: server.url(),
          apiKeyEnv: KEY_ENV,
          voice: 'marin',
          turnDetection: 'server',
          connectTimeoutMs: 3000,
        },
        ...agent,
      },
      telephoneEvent: true,
      ...overrides,
    });
    calls.push(started);
    return started;
  };
  const decisions = (): { list: AgentDecision[]; report: (d: AgentDecision) => Promise<void> } => {
    const list: AgentDecision[] = [];
    return { list, report: (d) => (list.push(d), Promise.resolve()) };
  };
  const audioSamples = (c: LlmCallHarness): number =>
    c.media.events.reduce((n, e) => n + (e.kind === 'audio' ? e.samples.length : 0), 0);
  const first = (): ClientEvent[] => server.events(server.connections[0]);
  /** The session is configured: the server answered the first session.update. */
  const configured = (): Promise<unknown> =>
    waitFor('the session', 5000, () => server.events(server.connections[0], 'session.update').length > 0);
  /** The server's VAD would create the response by itself; here the test creates it as the server would. */
  const serverCreatesResponse = async (): Promise<void> => {
    await configured();
    server.connections[0]!.socket.emit('message', Buffer.from(JSON.stringify({ type: 'response.create' })), false);
  };

  it('sends GA events only: session.update for a phone leg, Bearer key, no beta header; greeting spoken and recorded; caller audio appended as μ-law; usage counted', async () => {
    server.respondWith({ kind: 'audio', pcm: hello, transcript: 'Hello, thanks for calling.' });
    const c = await call();
    await c.waitForTranscript((t) => t.some((e) => e.speaker === 'agent'), 'the greeting in the record');
    const connection = server.connections[0]!;
    expect(connection.url.pathname).to.equal('/v1/realtime');
    expect(connection.url.searchParams.get('model')).to.equal('gpt-realtime');
    expect(connection.headers['authorization']).to.equal(`Bearer ${KEY}`);
    expect(connection.headers).to.not.have.property('openai-beta');
    const update = first()[0] as ClientEvent & { session: Record<string, unknown> };
    expect(update.type).to.equal('session.update');
    expect(update.session).to.deep.include({
      type: 'realtime',
      instructions: 'You are the shop assistant.',
      output_modalities: ['audio'],
      tool_choice: 'auto',
    });
    expect(update.session['audio']).to.deep.equal({
      input: {
        format: { type: 'audio/pcmu' },
        transcription: { model: 'gpt-4o-mini-transcribe' },
        turn_detection: { type: 'server_vad', create_response: true, interrupt_response: false },
      },
      output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
    });
    expect(
      (update.session['tools'] as { name: string; type: string }[]).map((t) => `${t.type}:${t.name}`),
    ).to.deep.equal(['function:end_call', 'function:send_dtmf']);
    const greeting = first()[1] as ClientEvent & { response: { instructions: string } };
    expect(greeting.type).to.equal('response.create');
    expect(greeting.response.instructions).to.include('"Hello, thanks for calling."');
    // Every sample of the model's audio reached media, re-framed from deltas of 1234 bytes, the short tail flushed.
    expect(audioSamples(c)).to.equal(hello.length);
    expect(c.transcript).to.deep.include({ speaker: 'agent', text: 'Hello, thanks for calling.' });

    c.media.sendCallerAudio(voice(100));
    await waitFor('five appends', 5000, () => server.events(connection, 'input_audio_buffer.append').length >= 5);
    const appended = server
      .events(connection, 'input_audio_buffer.append')
      .map((e) => Buffer.from(String(e['audio']), 'base64'));
    expect(appended.every((a) => a.length === 160)).to.equal(true);
    server.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 100, item_id: 'item_u1' });
    server.send({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: 'item_u1',
      content_index: 0,
      transcript: 'When does my order ship?',
    });
    await c.waitForTranscript((t) => t.some((e) => e.speaker === 'caller'), 'the caller line');
    expect(c.transcript).to.deep.include({ speaker: 'caller', text: 'When does my order ship?' });
    await c.close();
    const usage = JSON.parse(c.logText.find((l) => l.includes('"agent usage"')) ?? '{}').usage as Record<
      string,
      number
    >;
    expect(usage).to.include({
      inputTokens: 100,
      outputTokens: 50,
      inputAudioTokens: 90,
      outputAudioTokens: 45,
      responses: 1,
    });
    expect(usage['appends']).to.be.at.least(5);
    const realtime = c.recordPatches.find((p) => p.realtime !== undefined)?.realtime;
    expect(realtime).to.deep.include({
      model: 'gpt-realtime',
      inputTokens: 100,
      outputTokens: 50,
      outputAudioTokens: 45,
      responses: 1,
      bargeIns: 0,
    });
  });

  it("the caller's frames that come before media's start or in one read with it are all appended, in order", async () => {
    const c = await call({ greeting: '' }, { holdStart: true });
    await configured();
    // The media side holds `start` from the agent's `ready` on; the caller's RTP can beat its ACK to media.
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'ready'), "the agent's ready");
    const frames = Array.from({ length: 25 }, (_, i) => new Int16Array(160).fill(i < 10 ? 200 : 4000));
    for (const frame of frames.slice(0, 10)) c.media.sendCallerAudio(frame);
    // Media's `start` and the frames after it in one publish batch: one read, before the kind runs.
    c.media.sendStart();
    for (const frame of frames.slice(10)) c.media.sendCallerAudio(frame);
    const appended = (): Buffer[] =>
      server
        .events(server.connections[0], 'input_audio_buffer.append')
        .map((e) => Buffer.from((e as ClientEvent & { audio: string }).audio, 'base64'));
    await waitFor('25 frames appended', 5000, () => appended().reduce((n, b) => n + b.length, 0) >= 25 * 160);
    const bytes = Buffer.concat(appended());
    expect(bytes.length).to.equal(25 * 160);
    // μ-law of the quiet frames first, then the loud ones: in order, none lost or repeated.
    const quiet = bytes[0];
    expect(bytes.subarray(0, 10 * 160).every((b) => b === quiet)).to.equal(true);
    expect(bytes.subarray(10 * 160).every((b) => b !== quiet)).to.equal(true);
  });

  it('barge-in: clear, truncate the playing item to what media confirmed played (to the frame), response.cancel; the heard part is recorded', async () => {
    server.respondWith({ kind: 'audio', pcm: answer, transcript: 'Your order ships tomorrow morning by courier.' });
    const c = await call({ greeting: undefined });
    c.media.autoMarks = false;
    await configured();
    server.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 900, item_id: 'item_u1' });
    await serverCreatesResponse();
    await c.media.waitFor(() => c.media.heldMarks.filter((m) => m.startsWith('p')).length >= 40, '40 progress marks');
    // Media played 25 frames (500 ms): the marks behind them, in order, with the pacing marks among them.
    let progress = 0;
    while (progress < 25) {
      const name = c.media.heldMarks[0]!;
      c.media.releaseMarks(1);
      if (name.startsWith('p')) progress++;
    }
    // The caller talks: loud voice, and the server's VAD says speech started.
    server.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 1000, item_id: 'item_u2' });
    for (let i = 0; i < 40 && server.allEvents('conversation.item.truncate').length === 0; i++) {
      c.media.sendCallerAudio(voice(20));
      await waitFor('the truncate', 100, () => server.allEvents('conversation.item.truncate').length > 0).catch(
        () => undefined,
      );
    }
    const truncate = server.allEvents('conversation.item.truncate')[0];
    expect(truncate).to.deep.include({ type: 'conversation.item.truncate', content_index: 0, audio_end_ms: 500 });
    expect(truncate?.['item_id']).to.match(/^item_/);
    const after = first().map((e) => e.type);
    expect(after.indexOf('response.cancel')).to.be.greaterThan(after.indexOf('conversation.item.truncate'));
    const clearAt = c.media.events.findIndex((e) => e.kind === 'control' && e.message.event === 'clear');
    expect(clearAt).to.be.greaterThan(0);
    // Nothing of the cut reply was sent to media after the clear.
    expect(c.media.events.slice(clearAt).some((e) => e.kind === 'audio')).to.equal(false);
    await c.waitForTranscript((t) => t.some((e) => e.speaker === 'agent'), 'the heard part');
    const line = c.transcript.find((e) => e.speaker === 'agent')!.text;
    // 500 ms of a 3.3 s reply: its first of seven words.
    expect(line).to.equal('Your [interrupted; estimated heard text]');
    expect(line).to.not.include('courier');
  });

  it("echo of the model's own voice 20 dB down, even with the server's speech_started, does not cut the reply", async () => {
    server.respondWith({ kind: 'audio', pcm: answer, transcript: 'Your order ships tomorrow morning by courier.' });
    const c = await call({ greeting: undefined });
    await serverCreatesResponse();
    await c.media.waitFor(() => audioSamples(c) > 8000, 'the reply playing');
    server.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 10, item_id: 'item_echo' });
    const echo = Int16Array.from(answer.subarray(0, 8000 * 2), (s) => Math.round(s / 10));
    c.media.sendCallerAudio(echo);
    await c.waitForTranscript((t) => t.some((e) => e.speaker === 'agent'), 'the reply played out');
    expect(server.allEvents('conversation.item.truncate')).to.deep.equal([]);
    expect(server.allEvents('response.cancel')).to.deep.equal([]);
    expect(audioSamples(c)).to.equal(answer.length);
  });

  it('a 401 refuses the call 503 agent-misconfigured naming the key variable, never the key; 429 twice is model-unreachable', async () => {
    server.refuse({ status: 401 });
    const d = decisions();
    await call({}, { report: d.report });
    await calls[0]!.running;
    expect(d.list[0]).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured', sipStatus: 503 });
    const reason = (d.list[0] as { reason: string }).reason;
    expect(reason).to.include(KEY_ENV).and.include('401');
    expect(reason).to.not.include(KEY);

    server.refuse({ status: 429, retryAfterS: 0 }, { status: 429, retryAfterS: 0 });
    const limited = decisions();
    await call({}, { report: limited.report });
    await calls[1]!.running;
    expect(limited.list[0]).to.deep.include({ decision: 'refuse', code: 'model-unreachable', sipStatus: 503 });
    expect((limited.list[0] as { reason: string }).reason).to.include('429');
  });

  it('a session.update the server refuses, or a key variable not set, refuses before the answer', async () => {
    server.sessionError = { code: 'invalid_model', message: 'no such model' };
    const d = decisions();
    await call({}, { report: d.report });
    await calls[0]!.running;
    expect(d.list[0]).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured', sipStatus: 503 });
    expect((d.list[0] as { reason: string }).reason).to.include('invalid_model');
    const unset = decisions();
    await call({}, { report: unset.report, env: {} });
    await calls[1]!.running;
    expect(unset.list[0]).to.deep.include({ decision: 'refuse', code: 'agent-misconfigured' });
    expect((unset.list[0] as { reason: string }).reason).to.include(`${KEY_ENV} is not set`);
  });

  it('error events and malformed events are logged and counted; the call goes on and the next reply is heard', async () => {
    server.respondWith({ kind: 'audio', pcm: hello, transcript: 'Hello, thanks for calling.' });
    const c = await call();
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    server.sendRaw('not json');
    server.sendRaw('[1,2,3]');
    server.sendRaw(JSON.stringify({ type: 'response.output_audio.delta', item_id: 'x', delta: '***' }));
    server.sendRaw(
      JSON.stringify({
        type: 'error',
        error: { type: 'invalid_request_error', code: 'response_cancel_not_active', message: 'no response' },
      }),
    );
    server.sendRaw(JSON.stringify({ type: 'error', error: 'a string' }));
    server.sendRaw(
      JSON.stringify({ type: 'response.done', response: { status: 7, usage: { input_tokens: 'many' }, output: 'x' } }),
    );
    server.respondWith({ kind: 'audio', pcm: answer, transcript: 'Your order ships tomorrow morning by courier.' });
    await serverCreatesResponse();
    await c.waitForTranscript((t) => t.length === 2, 'the next reply');
    expect(audioSamples(c)).to.equal(hello.length + answer.length);
    await c.close();
    const log = c.logText.join('');
    expect(log).to.include('response_cancel_not_active');
    const usage = JSON.parse(c.logText.find((l) => l.includes('"agent usage"')) ?? '{}').usage as Record<
      string,
      number
    >;
    expect(usage['errors']).to.equal(2);
    expect(usage['ignored']).to.be.at.least(3);
  });

  it('a socket dropped mid-call reconnects once, re-seeded with the conversation in the instructions; the next answer is audio', async () => {
    server.respondWith({ kind: 'audio', pcm: hello, transcript: 'Hello, thanks for calling.' });
    const c = await call();
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    server.send({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: 'u1',
      content_index: 0,
      transcript: 'Where is my parcel?',
    });
    await c.waitForTranscript((t) => t.length === 2, 'the caller line');
    server.respondWith({ kind: 'audio', pcm: answer, transcript: 'Your order ships tomorrow morning by courier.' });
    server.kill();
    await c.waitForTranscript((t) => t.length === 3, 'the answer on the new session');
    expect(server.connections).to.have.length(2);
    const update = server.events(server.connections[1], 'session.update')[0] as ClientEvent & {
      session: { instructions: string };
    };
    expect(update.session.instructions).to.include('You are the shop assistant.');
    expect(update.session.instructions).to.include('Caller: Where is my parcel?');
    expect(update.session.instructions).to.include('You: Hello, thanks for calling.');
    // Never assistant text items: those turn the model to text answers.
    expect(server.events(server.connections[1], 'conversation.item.create')).to.deep.equal([]);
    expect(audioSamples(c)).to.equal(hello.length + answer.length);
  });

  it('a second drop with no server to come back to ends the call model-lost after the apology', async () => {
    server.respondWith({ kind: 'audio', pcm: hello, transcript: 'Hello, thanks for calling.' });
    const c = await call({
      realtime: {
        provider: 'openai',
        model: 'gpt-realtime',
        url: server.url(),
        apiKeyEnv: KEY_ENV,
        turnDetection: 'server',
        connectTimeoutMs: 300,
      },
    });
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    server.refuse({ status: 503 }, { status: 503 }, { status: 503 });
    server.kill();
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'hangup'), 'the hangup');
    const hangup = c.media.controls().find((m) => m.event === 'hangup') as { reason: string };
    expect(hangup.reason).to.equal('model-lost');
    expect(c.transcript.at(-1)?.text).to.equal('Sorry, I am having technical trouble. Please call again later.');
  });

  it('function calls: send_dtmf presses keys and returns its output then response.create; end_call hangs up after the goodbye plays', async () => {
    server.respondWith(
      { kind: 'function', name: 'send_dtmf', arguments: '{"digits":"12#"}' },
      { kind: 'audio', pcm: hello, transcript: 'Done.' },
    );
    const c = await call({ greeting: 'Hi.' });
    await c.waitForTranscript((t) => t.some((e) => e.text === 'Done.'), 'the reply after the tool');
    expect(c.media.controls()).to.deep.include({ event: 'dtmf', digits: '12#' });
    const output = server.allEvents('conversation.item.create')[0] as ClientEvent & { item: Record<string, unknown> };
    expect(output.item).to.deep.include({ type: 'function_call_output', call_id: 'call_1' });
    expect(JSON.parse(String(output.item['output']))).to.deep.equal({ ok: true, sent: '12#' });
    server.respondWith({ kind: 'function', name: 'end_call', arguments: '{}' });
    await serverCreatesResponse();
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'hangup'), 'the hangup');
    expect((c.media.controls().find((m) => m.event === 'hangup') as { reason: string }).reason).to.equal(
      'agent-hangup',
    );
  });

  it('--turn-detection bridge: turn_detection null; our VAD commits the caller turn and asks for the reply', async () => {
    server.respondWith({ kind: 'audio', pcm: hello, transcript: 'Hello, thanks for calling.' });
    const c = await call({
      greeting: undefined,
      realtime: {
        provider: 'openai',
        model: 'gpt-realtime',
        url: server.url(),
        apiKeyEnv: KEY_ENV,
        turnDetection: 'bridge',
        connectTimeoutMs: 3000,
      },
    });
    await configured();
    const update = first()[0] as ClientEvent & { session: { audio: { input: Record<string, unknown> } } };
    expect(update.session.audio.input['turn_detection']).to.equal(null);
    c.media.sendCallerAudio(concat([voice(400), new Int16Array(8 * 800)]));
    await c.waitForTranscript((t) => t.some((e) => e.speaker === 'agent'), 'the reply to the committed turn');
    const types = first().map((e) => e.type);
    expect(types.indexOf('input_audio_buffer.commit')).to.be.greaterThan(0);
    expect(types.indexOf('response.create')).to.be.greaterThan(types.indexOf('input_audio_buffer.commit'));
    expect(types.filter((t) => t === 'input_audio_buffer.commit')).to.have.length(1);
  });
});
