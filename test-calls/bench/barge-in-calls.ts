import { randomInt, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { CachingTts, CallRunner, createLanguageModelFactory, FliteTts, SentenceChunker } from '@voicebridge/agent';
import { RedisAudioChannel, type AudioChannel } from '@voicebridge/channel';
import { MediaWorker, PortPool } from '@voicebridge/media';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { decodeControlJson, FRAME_KIND_CONTROL, SecretEnvAllowList, type TurnLatency } from '@voicebridge/protocol';
import { MediaClock, parseRtp, pcmuDecode, pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { ScriptedStt } from '../../packages/agent/test/agents/llm-call-harness.ts';
import { FakeOpenAiServer, type Script } from '../../packages/agent/test/llm/fake-openai-server.ts';
import { freeRtpPortRange } from '../../test/support/free-port.ts';
import { repeatEvery } from '../../test/support/wait-for.ts';

const FRAME_SAMPLES = 160;
/** A packet at or over this level carries voice, as `barge-in-timing.ts` reads the wire. */
export const VOICED_DB = -45;

function levelDb(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return sum === 0 ? -Infinity : 10 * Math.log10(sum / pcm.length / 32768 ** 2);
}

/**
 * The RTP generator of one call: sends a packet every time the shared pacer ticks (queued speech,
 * else silence) and times both streams at its socket — when the first voiced packet of each
 * utterance left, and every voiced packet of the agent that arrived.
 */
export class GeneratorCaller {
  /** performance.now() of each voiced agent packet received, in order. */
  readonly agentVoiced: number[] = [];
  readonly #socket: Socket;
  readonly #frames: Array<{ pcm: Int16Array; onset?: (atMs: number) => void; last?: () => void }> = [];
  readonly #ssrc = randomInt(0, 2 ** 32);
  readonly #packet = Buffer.alloc(12 + FRAME_SAMPLES);
  readonly #decoded = new Int16Array(FRAME_SAMPLES);
  #sequence = randomInt(0, 2 ** 16);
  #timestamp = randomInt(0, 2 ** 32);
  #remote: { address: string; port: number } | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (packet) => this.#onPacket(packet));
  }

  static async open(): Promise<GeneratorCaller> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new GeneratorCaller(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  start(remote: { address: string; port: number }): void {
    this.#remote = remote;
  }

  /**
   * Queues 8 kHz PCM: `onsetMs` resolves with the send time of its first voiced packet (NaN if none
   * is voiced), `sent` once its last packet left.
   */
  say(pcm: Int16Array): { onsetMs: Promise<number>; sent: Promise<void> } {
    const queued: Array<{ pcm: Int16Array; onset?: (atMs: number) => void; last?: () => void }> = [];
    for (let at = 0; at < pcm.length; at += FRAME_SAMPLES) {
      const frame = new Int16Array(FRAME_SAMPLES);
      frame.set(pcm.subarray(at, at + FRAME_SAMPLES));
      queued.push({ pcm: frame });
    }
    this.#frames.push(...queued);
    const first = queued.find((f) => levelDb(f.pcm) >= VOICED_DB);
    const last = queued.at(-1);
    const sent = new Promise<void>((resolve) => (last ? (last.last = resolve) : resolve()));
    const onsetMs = new Promise<number>((resolve) => {
      if (first) first.onset = resolve;
      else void sent.then(() => resolve(NaN));
    });
    return { onsetMs, sent };
  }

  /** One pacer tick. */
  tick(): void {
    if (!this.#remote) return;
    const frame = this.#frames.shift();
    writeRtpHeader(this.#packet, 0, {
      marker: false,
      payloadType: 0,
      sequenceNumber: this.#sequence,
      timestamp: this.#timestamp,
      ssrc: this.#ssrc,
    });
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + FRAME_SAMPLES) >>> 0;
    pcmuEncode(frame?.pcm ?? new Int16Array(FRAME_SAMPLES), this.#packet.subarray(12));
    this.#socket.send(this.#packet, this.#remote.port, this.#remote.address);
    frame?.onset?.(performance.now());
    frame?.last?.();
  }

  close(): void {
    this.#socket.close();
  }

  #onPacket(packet: Buffer): void {
    const rtp = parseRtp(packet);
    if (!rtp || rtp.payloadLength !== FRAME_SAMPLES) return;
    pcmuDecode(packet.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength), this.#decoded);
    if (levelDb(this.#decoded) >= VOICED_DB) this.agentVoiced.push(performance.now());
  }
}

/** One llm call of the fixture: its generator, its scripted recogniser, what media and the record saw. */
export interface BenchCall {
  caller: GeneratorCaller;
  stt: ScriptedStt;
  /** performance.now() of each `clear` the media worker received for this call. */
  clears: number[];
  turns: readonly TurnLatency[];
}

/**
 * `size` llm calls in this process with the real parts: one media worker (UDP RTP to a generator
 * socket per call), the Redis audio channel, a `CallRunner` per call (each with its scripted
 * recogniser) sharing flite behind the TTS cache, and one local OpenAI-compatible server answering
 * every request with `answer`.
 */
export class BargeInCalls {
  readonly calls: BenchCall[] = [];
  readonly #cleanup: Array<() => unknown> = [];

  /** `answerText`: what `answer` streams, synthesised into the TTS cache before the calls start. */
  static async start(size: number, answer: Script, answerText: string): Promise<BargeInCalls> {
    const fixture = new BargeInCalls();
    try {
      await fixture.#start(size, answer, answerText);
    } catch (error) {
      await fixture.close();
      throw error;
    }
    return fixture;
  }

  async #start(size: number, answer: Script, answerText: string): Promise<void> {
    const cleanup = this.#cleanup;
    const server = await FakeOpenAiServer.start();
    cleanup.push(() => server.close());
    server.respondWith(answer);
    const prefix = `vbbench-bargein-${randomUUID()}`;
    const redis = [new Redis(), new Redis(), new Redis(), new Redis()];
    cleanup.push(() => redis.forEach((r) => r.disconnect()));
    const [mediaPub, mediaSub, agentPub, agentSub] = redis as [Redis, Redis, Redis, Redis];
    const mediaChannel = new RedisAudioChannel({ publisher: mediaPub, subscriber: mediaSub, keyPrefix: prefix });
    const agentChannel = new RedisAudioChannel({ publisher: agentPub, subscriber: agentSub, keyPrefix: prefix });
    cleanup.push(
      () => mediaChannel.close(),
      () => agentChannel.close(),
    );
    const log = pino({ level: 'silent' });
    const clock = new MediaClock();
    const pool = new PortPool({
      bindAddress: '127.0.0.1',
      ...(await freeRtpPortRange(2 * size + 10)),
      quarantineMs: 100,
    });
    const clears = new Map<string, number[]>();
    // The media worker's own channel, watched for the agent's `clear` as it arrives.
    const watched: AudioChannel = {
      open: (callId, side, onMessage) =>
        mediaChannel.open(callId, side, (message) => {
          if (message[0] === FRAME_KIND_CONTROL && (decodeControlJson(message) as { event?: string }).event === 'clear')
            clears.get(callId)?.push(performance.now());
          onMessage(message);
        }),
      close: () => mediaChannel.close(),
    };
    const worker = new MediaWorker({
      pool,
      clock,
      channel: watched,
      advertisedAddress: '127.0.0.1',
      log,
      onEvent: () => undefined,
    });
    cleanup.push(
      () => pool.close(),
      () => clock.close(),
      () => worker.close(),
    );
    const tts = new CachingTts(new FliteTts());
    cleanup.push(() => tts.close());
    // The greeting and the answer's clauses (as the llm agent cuts them) synthesised once, in turn:
    // otherwise a hundred calls starting together each run flite for every clause before the cache fills.
    const chunker = new SentenceChunker();
    for (const text of ['Hello.', ...chunker.push(answerText), ...chunker.flush()])
      for await (const chunk of tts.synthesize(text, { sampleRateHz: 8000, signal: new AbortController().signal }))
        void chunk;
    const outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });
    cleanup.push(() => outbound.close());
    const models = createLanguageModelFactory({
      env: {},
      secretEnv: SecretEnvAllowList.default(),
      outbound,
      timeoutMs: 60_000,
      firstTokenTimeoutMs: 30_000,
    });
    const stopPacer = repeatEvery(20, () => this.calls.forEach((c) => c.caller.tick()));
    cleanup.push(stopPacer);
    const abort = new AbortController();
    // Every call's run listens on the one signal.
    setMaxListeners(size + 10, abort.signal);
    const running: Promise<unknown>[] = [];
    cleanup.push(async () => {
      abort.abort(new Error('bench over'));
      await Promise.allSettled(running);
    });
    for (let i = 0; i < size; i++) {
      const caller = await GeneratorCaller.open();
      cleanup.push(() => caller.close());
      const callId = `bench-bargein-${randomUUID()}`;
      const call: BenchCall = { caller, stt: new ScriptedStt(() => undefined), clears: [], turns: [] };
      clears.set(callId, call.clears);
      const { localRtp } = await worker.allocate({
        callId,
        remoteRtp: { address: '127.0.0.1', port: caller.port },
        codec: { name: 'PCMU', payloadType: 0 },
        telephoneEventPayloadType: 101,
        ptimeMs: 20,
        direction: 'sendrecv',
      });
      await worker.session(callId)?.ready;
      const runner = new CallRunner({
        channel: agentChannel,
        records: {
          get: () => Promise.resolve(undefined),
          appendTranscript: () => Promise.resolve(),
          update: (_id, patch) => Promise.resolve(void (call.turns = patch.turns ?? call.turns)),
        },
        stt: call.stt,
        tts,
        greetingDelayMs: 0,
        log,
        models,
      });
      const now = Date.now();
      const number = '+15550003333';
      running.push(
        runner.run(
          {
            version: 1,
            callId,
            number,
            config: {
              version: 2,
              number,
              agent: { kind: 'llm', greeting: 'Hello.', llm: { baseUrl: server.baseUrl, model: 'fake-model' } },
              enabled: true,
              configVersion: 1,
              updatedAtMs: now,
            },
            codec: 'PCMU',
            sampleRateHz: 8000,
            ptimeMs: 20,
            invitedAtMs: now,
          },
          abort.signal,
        ),
      );
      worker.start(callId, Date.now());
      caller.start({ address: '127.0.0.1', port: localRtp.port });
      this.calls.push(call);
    }
  }

  /** Idempotent. */
  async close(): Promise<void> {
    for (const fn of this.#cleanup.splice(0).reverse()) await fn();
  }
}
