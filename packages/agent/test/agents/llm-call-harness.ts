import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { RedisAudioChannel, type CallChannel } from '@voicebridge/channel';
import { OutboundHttp, OutboundPolicy, type Resolver } from '@voicebridge/outbound';
import {
  decodeAudioFrame,
  decodeControlJson,
  encodeAudioFrame,
  encodeControl,
  FRAME_KIND_AUDIO,
  SecretEnvAllowList,
  type AgentToMedia,
  type CallJob,
  type CallRecord,
  type LlmConfig,
  type MediaToAgent,
  type NumberConfig,
  type TranscriptEntry,
  type TurnLatency,
  type WebhookTool,
} from '@voicebridge/protocol';
import { AsyncQueue } from '../../src/async-queue.ts';
import { createLanguageModelFactory } from '../../src/agents/language-model-factory.ts';
import type { AgentKinds } from '../../src/agents/agent-kinds.ts';
import type { BuiltInKindsOptions } from '../../src/agents/built-in-kinds.ts';
import { CallRunner, type DecisionReporter } from '../../src/call-runner.ts';
import type { SpeechToText, Transcript, TranscribeOptions } from '../../src/stt/speech-to-text.ts';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import type { TextToSpeech } from '../../src/tts/text-to-speech.ts';
import { FakeOpenAiServer } from '../llm/fake-openai-server.ts';
import { withTimeout } from '../../../../test/support/wait-for.ts';

/**
 * A stand-in recogniser that yields the transcripts a test gives it. The real recogniser is tested
 * on its own (test/engines/); here the point is what the agent does with what was heard, which a
 * recogniser's word errors would only blur.
 */
export class ScriptedStt implements SpeechToText {
  #queue: AsyncQueue<Transcript> | undefined;
  readonly #onListen: () => void;

  constructor(onListen: () => void) {
    this.#onListen = onListen;
  }

  /** The caller finished saying `text` (a final transcript). */
  hear(text: string): void {
    if (this.#queue === undefined) throw new Error('the agent is not listening yet');
    this.#queue.push({ text, final: true, startMs: 0, endMs: 0 });
  }

  /**
   * An interim hypothesis while the caller is still talking; `endOfTurn`: one on which the provider
   * already signalled the end of the turn (AssemblyAI's unformatted `end_of_turn`).
   */
  hearPartial(text: string, endOfTurn = false): void {
    if (this.#queue === undefined) throw new Error('the agent is not listening yet');
    this.#queue.push({
      text,
      final: false,
      startMs: 0,
      endMs: 0,
      ...(endOfTurn && { endpoint: 'end-of-turn' as const }),
    });
  }

  get listening(): boolean {
    return this.#queue !== undefined;
  }

  async *transcribe(_audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncGenerator<Transcript> {
    const queue = new AsyncQueue<Transcript>(100);
    this.#queue = queue;
    this.#onListen();
    const onAbort = (): void => queue.close();
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const transcript of queue) yield transcript;
      if (options.signal.aborted) throw options.signal.reason;
    } finally {
      options.signal.removeEventListener('abort', onAbort);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A mark ending something the agent said (`m…`); `t…` marks only time a reply's first packet. */
export function isEndMark(message: AgentToMedia): boolean {
  return message.event === 'mark' && message.name.startsWith('m');
}

export type MediaEvent = { kind: 'audio'; samples: Int16Array } | { kind: 'control'; message: AgentToMedia };

/**
 * The media worker's end of one call's real Redis audio channel: answers `ready` with `start` and
 * every mark with `played: true` (as if the audio left the socket at once), and keeps everything
 * the agent sent, in order.
 */
export class MediaSide {
  readonly events: MediaEvent[] = [];
  /** Sent in `start`. */
  telephoneEvent: boolean | undefined;
  /**
   * false: marks wait in `heldMarks` (their audio still "playing") until `releaseMarks`; a `clear`
   * reports them unplayed, as the media worker does.
   */
  autoMarks = true;
  readonly heldMarks: string[] = [];
  /** true: `start` waits for `sendStart()` (a callee whose phone is still ringing). */
  holdStart = false;
  #heldStart: (() => void) | undefined;
  /** The answer time every `start` carries (a new owner's too, as the media worker does). */
  readonly answeredAtMs = Date.now();
  readonly #end: CallChannel;
  readonly #callId: string;
  readonly #waiters = new Set<() => void>();

  constructor(channel: RedisAudioChannel, callId: string) {
    this.#callId = callId;
    this.#end = channel.open(callId, 'media', (message) => this.#onMessage(message));
  }

  get ready(): Promise<void> {
    return this.#end.ready;
  }

  /** The held `start`: the callee answered. */
  sendStart(): void {
    const start = this.#heldStart;
    this.#heldStart = undefined;
    start?.();
  }

  send(message: MediaToAgent): void {
    this.#end.send(encodeControl(message));
  }

  #callerOffset = 0;

  /** The caller's audio, as 20 ms frames (what the media worker sends after its jitter buffer). */
  sendCallerAudio(pcm: Int16Array): void {
    for (let at = 0; at < pcm.length; at += 160) {
      const samples = pcm.slice(at, at + 160);
      this.#end.send(
        encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: this.#callerOffset, samples, filled: false }),
      );
      this.#callerOffset += samples.length;
    }
  }

  /** Reports the first `count` held marks played. */
  releaseMarks(count = this.heldMarks.length): void {
    for (const name of this.heldMarks.splice(0, count)) this.send({ event: 'mark', name, played: true });
  }

  controls(): AgentToMedia[] {
    return this.events.flatMap((event) => (event.kind === 'control' ? [event.message] : []));
  }

  /** Samples of agent audio received after the `n`-th mark (0: from the start) and before the next. */
  audioAfterMark(n: number): number {
    let marks = 0;
    let samples = 0;
    for (const event of this.events) {
      if (event.kind === 'control' && isEndMark(event.message)) marks++;
      else if (event.kind === 'audio' && marks === n) samples += event.samples.length;
    }
    return samples;
  }

  /** Resolves once `predicate` holds, checked on every message received. */
  waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    let check = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      check = (): void => {
        if (predicate()) resolve();
      };
      this.#waiters.add(check);
    });
    return withTimeout(held, what, timeoutMs).finally(() => this.#waiters.delete(check));
  }

  /** Lets waiters on other sources (the transcript) be re-checked. */
  poke(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  close(): void {
    this.#end.close();
  }

  #onMessage(message: Buffer): void {
    if (message[0] === FRAME_KIND_AUDIO) {
      const frame = decodeAudioFrame(message);
      if (frame) this.events.push({ kind: 'audio', samples: frame.samples });
    } else {
      const control = decodeControlJson(message) as AgentToMedia;
      this.events.push({ kind: 'control', message: control });
      if (control.event === 'ready') {
        this.#heldStart = () =>
          this.send({
            event: 'start',
            callId: this.#callId,
            codec: 'PCMU',
            sampleRateHz: 8000,
            ptimeMs: 20,
            answeredAtMs: this.answeredAtMs,
            telephoneEvent: this.telephoneEvent,
          });
        if (!this.holdStart) this.sendStart();
      } else if (control.event === 'mark') {
        if (this.autoMarks) this.send({ event: 'mark', name: control.name, played: true });
        else this.heldMarks.push(control.name);
      } else if (control.event === 'clear') {
        for (const name of this.heldMarks.splice(0)) this.send({ event: 'mark', name, played: false });
      }
    }
    this.poke();
  }
}

export interface CallHarnessOptions {
  llm: LlmConfig;
  prompt?: string;
  greeting?: string;
  env: Record<string, string>;
  tts: TextToSpeech;
  /** A real recogniser instead of the scripted stand-in. */
  stt?: SpeechToText;
  /** The number's call guards. */
  maxCallDurationS?: number;
  noInputTimeoutS?: number;
  /** The number's webhook tools. */
  tools?: WebhookTool[];
  /** What media's `start` says of RFC 4733 (absent: not said). */
  telephoneEvent?: boolean;
  /** The number's agent type (default llm). */
  agent?: 'llm' | 'scripted' | 'echo';
  /** The worker's agent kinds (default: the built-in ones on this harness's engines). */
  kinds?: AgentKinds;
  /** The number's transferTargets (transfer_call). */
  transferTargets?: string[];
  /** AGENT_SECRET_ENV of the worker; default the test key's variable only. */
  secretEnv?: string;
  /** How the worker resolves the names of model and webhook URLs; default the system's. */
  resolve?: Resolver;
  /** The number's `insecure` flag. */
  insecure?: boolean;
  /** The number's key presses in records (absent: masked). */
  dtmfInRecords?: 'masked' | 'digits';
  /** `outbound`: a call we placed (sockets at the answer, the greeting waits for the callee). */
  direction?: 'outbound';
  /** `start` waits for `media.sendStart()`. */
  holdStart?: boolean;
  /** The number's whole agent config, over `agent` (a websocket number's bot). */
  agentConfig?: NumberConfig['agent'];
  /** Receives the agent's accept or refuse, as signaling would (absent: the call is answered anyway). */
  report?: DecisionReporter;
  /** What the call's record holds when the agent reads it (absent: no record). */
  record?: CallRecord;
  /** The number's speech engines, and the worker's cloud engine factory and fallback slots. */
  engines?: NumberConfig['engines'];
  cloud?: BuiltInKindsOptions['cloud'];
}

/** One llm call through the real `CallRunner`, the real Redis channel and a media side. */
export class LlmCallHarness {
  readonly stt = new ScriptedStt(() => this.media.poke());
  readonly transcript: Array<Omit<TranscriptEntry, 'atMs'>> = [];
  /** The words of each transcript line the caller never heard (`cut`), in the same order. */
  readonly cuts: Array<string | undefined> = [];
  /** Every patch written to the call's record, in order. */
  readonly recordPatches: Array<Partial<CallRecord>> = [];
  /** The per-turn latencies the runner wrote last. */
  turns: readonly TurnLatency[] = [];
  readonly media: MediaSide;
  readonly log: Logger;
  readonly logText: string[] = [];
  readonly callId = `call-${randomUUID()}`;
  readonly #connections: Redis[];
  readonly #agentChannel: RedisAudioChannel;
  readonly #mediaChannel: RedisAudioChannel;
  readonly #abort = new AbortController();
  readonly #runner: CallRunner;
  readonly #outbound: OutboundHttp;
  readonly #job: CallJob;
  readonly #report: DecisionReporter | undefined;
  running: Promise<{ stopReason: string }> = Promise.resolve({ stopReason: 'never started' });
  #closing: Promise<{ stopReason: string }> | undefined;

  private constructor(options: CallHarnessOptions, connections: Redis[], prefix: string) {
    this.#connections = connections;
    const [agentPub, agentSub, mediaPub, mediaSub] = connections as [Redis, Redis, Redis, Redis];
    this.#agentChannel = new RedisAudioChannel({ publisher: agentPub, subscriber: agentSub, keyPrefix: prefix });
    this.#mediaChannel = new RedisAudioChannel({ publisher: mediaPub, subscriber: mediaSub, keyPrefix: prefix });
    this.media = new MediaSide(this.#mediaChannel, this.callId);
    this.media.holdStart = options.holdStart === true;
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.logText.push(chunk.toString('utf8'));
        done();
      },
    });
    this.#outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [], resolve: options.resolve }) });
    this.log = pino({ level: 'debug' }, sink);
    this.#runner = new CallRunner({
      channel: this.#agentChannel,
      records: {
        get: () => Promise.resolve(options.record),
        update: (_callId, patch) => {
          this.recordPatches.push(patch);
          if (patch.turns) this.turns = patch.turns;
          this.media.poke();
          return Promise.resolve();
        },
        appendTranscript: (_callId, entry) => {
          this.transcript.push({ speaker: entry.speaker, text: entry.text });
          this.cuts.push(entry.cut);
          this.media.poke();
          return Promise.resolve();
        },
      },
      stt: options.stt ?? this.stt,
      tts: options.tts,
      greetingDelayMs: 0,
      log: this.log,
      models: createLanguageModelFactory({
        env: options.env,
        secretEnv: SecretEnvAllowList.parse(options.secretEnv ?? 'VB_TEST_LLM_KEY'),
        outbound: this.#outbound,
        timeoutMs: 5_000,
      }),
      outbound: this.#outbound,
      secrets: { env: options.env, secretEnv: SecretEnvAllowList.parse(options.secretEnv ?? 'VB_TEST_LLM_KEY') },
      kinds: options.kinds,
      cloud: options.cloud,
    });
    this.#report = options.report;
    this.#job = llmCallJob(this.callId, {
      agent:
        options.agentConfig ??
        (options.agent === 'scripted'
          ? { kind: 'scripted', greeting: options.greeting, answers: [] }
          : options.agent === 'echo'
            ? { kind: 'echo', greeting: options.greeting }
            : {
                kind: 'llm',
                greeting: options.greeting,
                prompt: options.prompt,
                llm: options.llm,
                tools: options.tools,
              }),
      maxCallDurationS: options.maxCallDurationS,
      noInputTimeoutS: options.noInputTimeoutS,
      transferTargets: options.transferTargets,
      insecure: options.insecure,
      dtmfInRecords: options.dtmfInRecords,
      engines: options.engines,
    });
    if (options.direction) this.#job = { ...this.#job, direction: options.direction };
  }

  static async start(options: CallHarnessOptions): Promise<LlmCallHarness> {
    const connections = [new Redis(), new Redis(), new Redis(), new Redis()];
    const harness = new LlmCallHarness(options, connections, `vbtest-llm-agent-${randomUUID()}`);
    // Media subscribes first, as the real worker does before it offers the call to an agent.
    harness.media.telephoneEvent = options.telephoneEvent;
    await harness.media.ready;
    harness.running = harness.#runner.run(harness.#job, harness.#abort.signal, harness.#report);
    return harness;
  }

  /** Resolves once the agent listens (after its greeting was played). */
  async greeted(): Promise<void> {
    await this.media.waitFor(() => this.stt.listening && this.media.controls().some(isEndMark), 'the greeting');
  }

  marks(): number {
    return this.media.controls().filter(isEndMark).length;
  }

  waitForTranscript(predicate: (entries: LlmCallHarness['transcript']) => boolean, what: string): Promise<void> {
    return this.media.waitFor(() => predicate(this.transcript), what);
  }

  /** The caller hangs up (media's `stop`), then everything closes. Idempotent. */
  close(): Promise<{ stopReason: string }> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<{ stopReason: string }> {
    this.media.send({ event: 'stop', reason: 'caller-bye' });
    // An agent that does not stop on the caller's hangup is aborted, so the test ends either way.
    const result = await withTimeout(this.running, 'the agent to stop after the hangup', 5_000).catch((error) => {
      if (!(error instanceof Error) || !error.message.startsWith('timed out')) throw error;
      this.#abort.abort(new Error('test over'));
      return this.running;
    });
    this.media.close();
    this.#outbound.close();
    await this.#agentChannel.close();
    await this.#mediaChannel.close();
    for (const connection of this.#connections) connection.disconnect();
    return result;
  }
}

/** The job signaling enqueues for `callId` to +15550001111, whose config is an enabled llm number's with `config` over it. */
export function llmCallJob(callId: string, config: Partial<NumberConfig>): CallJob {
  const now = Date.now();
  return {
    version: 1,
    callId,
    number: '+15550001111',
    config: {
      version: 2,
      number: '+15550001111',
      agent: { kind: 'llm', llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'none' } },
      enabled: true,
      configVersion: 1,
      updatedAtMs: now,
      ...config,
    },
    codec: 'PCMU',
    sampleRateHz: 8000,
    ptimeMs: 20,
    invitedAtMs: now,
  };
}

/** The local model server and voice one describe block of call tests shares, and its calls. */
export interface LlmCallSuite {
  /** The OpenAI-compatible stand-in; what it recorded is cleared after every test. */
  readonly server: FakeOpenAiServer;
  readonly tts: TextToSpeech;
  /** Starts a call with the block's options, `overrides` over them; it is closed after the test. */
  start(overrides?: Partial<CallHarnessOptions>): Promise<LlmCallHarness>;
}

export interface LlmCallSuiteOptions {
  /** The block's call options (default: model `fake-model` on the server, no key, greeting "Hello."). */
  options?: (server: FakeOpenAiServer) => Omit<CallHarnessOptions, 'tts'>;
  /** Default: flite. */
  tts?: () => TextToSpeech;
}

/**
 * Registers, in the calling describe block, the hooks that start the model server and the voice
 * once, and after every test close its calls and forget the server's requests.
 */
export function useLlmCallSuite(suiteOptions: LlmCallSuiteOptions = {}): LlmCallSuite {
  const callOptions =
    suiteOptions.options ??
    ((server) => ({ llm: { baseUrl: server.baseUrl, model: 'fake-model' }, env: {}, greeting: 'Hello.' }));
  let server: FakeOpenAiServer | undefined;
  let tts: TextToSpeech | undefined;
  const calls: LlmCallHarness[] = [];
  before(async () => {
    server = await FakeOpenAiServer.start();
    tts = suiteOptions.tts?.() ?? new FliteTts();
  });
  after(async () => {
    await server?.close();
    await tts?.close();
  });
  afterEach(async () => {
    for (const call of calls.splice(0)) await call.close();
    if (server) server.requests.length = 0;
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the llm call suite starts in a before hook');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get tts() {
      return started(tts);
    },
    async start(overrides = {}) {
      const call = await LlmCallHarness.start({ ...callOptions(started(server)), tts: started(tts), ...overrides });
      calls.push(call);
      return call;
    },
  };
}
