import type { NumberConfig } from '@voicebridge/protocol';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { LlmCallHarness } from '../agents/llm-call-harness.ts';
import { concat, synthesizeAll } from '../engines/audio-helpers.ts';
import { RealtimeWireServer } from './realtime-wire-server.ts';

type RealtimeOptions = Extract<NumberConfig['agent'], { kind: 'realtime' }>['realtime'];

export const REALTIME_KEY_ENV = 'VB_TEST_LLM_KEY';
export const HELLO = 'Hello, thanks for calling.';
export const ANSWER = 'Your order ships tomorrow morning by courier.';
export const APOLOGY = 'Sorry, I am having technical trouble. Please call again later.';

export interface RealtimeFixture {
  readonly server: RealtimeWireServer;
  /** The greeting and the answer as flite says them (the answer padded off a whole frame). */
  readonly hello: Int16Array;
  readonly answer: Int16Array;
  /** A realtime call on a real call channel to this test's server; closed after the test. */
  call(realtime?: Partial<RealtimeOptions>): Promise<LlmCallHarness>;
  /** Samples of agent audio the call's media received. */
  audioSamples(c: LlmCallHarness): number;
  /** The server's VAD would create the response by itself; here the test creates it as the server would. */
  serverCreatesResponse(index?: number): void;
}

/**
 * The set-up the realtime agent's call tests share: flite for the audio, a local Realtime server per
 * test, and calls that are closed after each test. Registers its mocha hooks where it is called.
 */
export function useRealtimeFixture(): RealtimeFixture {
  let tts: FliteTts | undefined;
  let hello: Int16Array = new Int16Array(0);
  let answer: Int16Array = new Int16Array(0);
  let server: RealtimeWireServer | undefined;
  const calls: LlmCallHarness[] = [];
  before(async () => {
    tts = new FliteTts();
    hello = await synthesizeAll(tts, HELLO);
    answer = concat([await synthesizeAll(tts, ANSWER), new Int16Array(3)]);
  });
  after(() => tts?.close());
  beforeEach(async () => {
    server = await RealtimeWireServer.start();
  });
  afterEach(async () => {
    for (const c of calls.splice(0)) await c.close();
    await server?.close();
  });
  const ttsOf = (): FliteTts => {
    if (!tts) throw new Error('useRealtimeFixture: no voice outside a test');
    return tts;
  };
  const serverOf = (): RealtimeWireServer => {
    if (!server) throw new Error('useRealtimeFixture: no server outside a test');
    return server;
  };
  return {
    get server() {
      return serverOf();
    },
    get hello() {
      return hello;
    },
    get answer() {
      return answer;
    },
    async call(realtime = {}) {
      const started = await LlmCallHarness.start({
        llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'none' },
        env: { [REALTIME_KEY_ENV]: 'sk-test-realtime-key' },
        tts: ttsOf(),
        agentConfig: {
          kind: 'realtime',
          prompt: 'You are the shop assistant.',
          greeting: HELLO,
          realtime: {
            provider: 'openai',
            model: 'gpt-realtime',
            url: serverOf().url(),
            apiKeyEnv: REALTIME_KEY_ENV,
            turnDetection: 'server',
            connectTimeoutMs: 3000,
            ...realtime,
          },
        },
        telephoneEvent: true,
      });
      calls.push(started);
      return started;
    },
    audioSamples: (c) => c.media.events.reduce((n, e) => n + (e.kind === 'audio' ? e.samples.length : 0), 0),
    serverCreatesResponse(index) {
      const connection = index === undefined ? serverOf().connections.at(-1) : serverOf().connections[index];
      connection!.socket.emit('message', Buffer.from(JSON.stringify({ type: 'response.create' })), false);
    },
  };
}
