import { expect } from 'chai';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { LlmCallHarness } from '../agents/llm-call-harness.ts';
import { concat, synthesizeAll } from '../engines/audio-helpers.ts';
import { RealtimeWireServer } from './realtime-wire-server.ts';

// The server side is written from OpenAI's published GA Realtime reference (cited in
// realtime-wire-server.ts): an `error` event whose `error.code` names the failure, the session left
// open. A rate limit mid-call is retried once; a second one ends the call with an apology.

const KEY_ENV = 'VB_TEST_LLM_KEY';
const HELLO = 'Hello, thanks for calling.';
const ANSWER = 'Your order ships tomorrow morning by courier.';
const APOLOGY = 'Sorry, I am having technical trouble. Please call again later.';
const RATE_LIMITED = {
  kind: 'error',
  code: 'rate_limit_exceeded',
  message: 'Rate limit reached for requests',
} as const;

describe('realtime agent kind: a rate limit mid-call (local Realtime server)', function () {
  this.timeout(30_000);
  let tts: FliteTts;
  let hello: Int16Array;
  let answer: Int16Array;
  let server: RealtimeWireServer;
  const calls: LlmCallHarness[] = [];

  before(async () => {
    tts = new FliteTts();
    hello = await synthesizeAll(tts, HELLO);
    answer = concat([await synthesizeAll(tts, ANSWER), new Int16Array(3)]);
  });
  after(() => tts.close());
  beforeEach(async () => {
    server = await RealtimeWireServer.start();
  });
  afterEach(async () => {
    for (const c of calls.splice(0)) await c.close();
    await server.close();
  });

  const call = async (): Promise<LlmCallHarness> => {
    const started = await LlmCallHarness.start({
      llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'none' },
      env: { [KEY_ENV]: 'sk-test-realtime-key' },
      tts,
      agentConfig: {
        kind: 'realtime',
        prompt: 'You are the shop assistant.',
        greeting: HELLO,
        realtime: {
          provider: 'openai',
          model: 'gpt-realtime',
          url: server.url(),
          apiKeyEnv: KEY_ENV,
          turnDetection: 'server',
          connectTimeoutMs: 3000,
        },
      },
      telephoneEvent: true,
    });
    calls.push(started);
    return started;
  };
  /** The server's VAD would create the response by itself; here the test creates it as the server would. */
  const serverCreatesResponse = (): void => {
    server.connections.at(-1)!.socket.emit('message', Buffer.from(JSON.stringify({ type: 'response.create' })), false);
  };
  const responseCreates = (): number => server.events(server.connections.at(-1), 'response.create').length;

  it('one rate limit: the agent asks for the response again and the caller hears the answer; the call goes on', async () => {
    server.respondWith({ kind: 'audio', pcm: hello, transcript: HELLO });
    const c = await call();
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    const before = responseCreates();
    server.respondWith(RATE_LIMITED, { kind: 'audio', pcm: answer, transcript: ANSWER });
    serverCreatesResponse();
    await c.waitForTranscript((t) => t.length === 2, 'the answer after the retry');
    expect(c.transcript.at(-1)?.text).to.equal(ANSWER);
    expect(responseCreates() - before, "the server's own create, then the agent's one retry").to.equal(2);
    expect(c.media.controls().some((m) => m.event === 'hangup')).to.equal(false);
    expect(c.logText.join('')).to.include('rate_limit_exceeded');
  });

  it('a rate limit after the retry: the apology in the fallback voice, then the call ends model-lost', async () => {
    server.respondWith({ kind: 'audio', pcm: hello, transcript: HELLO });
    const c = await call();
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    server.respondWith(RATE_LIMITED, RATE_LIMITED);
    serverCreatesResponse();
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'hangup'), 'the hangup');
    const hangup = c.media.controls().find((m) => m.event === 'hangup') as { reason: string };
    expect(hangup.reason).to.equal('model-lost');
    expect(c.transcript.at(-1)?.text).to.equal(APOLOGY);
  });
});
