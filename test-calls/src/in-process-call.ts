import { randomInt, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { CachingTts, CallRunner, createLanguageModelFactory, FliteTts } from '@voicebridge/agent';
import { RedisAudioChannel, type AudioChannel } from '@voicebridge/channel';
import { MediaWorker, PortPool } from '@voicebridge/media';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import {
  decodeControlJson,
  FRAME_KIND_CONTROL,
  SecretEnvAllowList,
  type CallJob,
  type TranscriptEntry,
  type TurnLatency,
} from '@voicebridge/protocol';
import { MediaClock, parseRtp, pcmuDecode, pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { ScriptedStt } from '../../packages/agent/test/agents/llm-call-harness.ts';
import { freeRtpPortRange } from '../../test/support/free-port.ts';
import { FakeOpenAiServer } from '../../packages/agent/test/llm/fake-openai-server.ts';
import { repeatEvery } from '../../test/support/wait-for.ts';

const FRAME_SAMPLES = 160;

/** One RTP packet the caller received, with its decoded level. */
export interface ReceivedPacket {
  atMs: number;
  /** True when the payload is not (near) silence. */
  voiced: boolean;
}

/**
 * A caller as a UDP socket: receives the bridge's RTP, sends its own every 20 ms (speech queued by
 * `say()`, else silence), or, with `echoGainDb`, silence until the bridge's first packet and then
 * what it receives at that gain (a handset whose speaker leaks into its microphone).
 */
export class Caller {
  readonly received: ReceivedPacket[] = [];
  readonly #socket: Socket;
  readonly #frames: Int16Array[] = [];
  readonly #ssrc = randomInt(0, 2 ** 32);
  #sequence = randomInt(0, 2 ** 16);
  #timestamp = randomInt(0, 2 ** 32);
  #stopPacer: (() => void) | undefined;
  #echoGain: number | undefined;
  #remote: { address: string; port: number } | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (packet) => this.#onPacket(packet));
  }

  static async open(): Promise<Caller> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Caller(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Starts sending to the bridge's RTP address. */
  start(remote: { address: string; port: number }, echoGainDb?: number): void {
    this.#remote = remote;
    this.#echoGain = echoGainDb === undefined ? undefined : 10 ** (echoGainDb / 20);
    this.#stopPacer = repeatEvery(20, () => {
      // A handset's microphone sends from the answer on, so the bridge latches the path before it
      // speaks; an echoing one sends room silence until the echo of what it hears takes over.
      if (this.#echoGain === undefined) this.#send(this.#frames.shift() ?? new Int16Array(FRAME_SAMPLES));
      else if (this.received.length === 0) this.#send(new Int16Array(FRAME_SAMPLES));
    });
  }

  /** Queues speech (8 kHz PCM) for the microphone. */
  say(pcm: Int16Array): void {
    for (let at = 0; at < pcm.length; at += FRAME_SAMPLES) {
      const frame = new Int16Array(FRAME_SAMPLES);
      frame.set(pcm.subarray(at, at + FRAME_SAMPLES));
      this.#frames.push(frame);
    }
  }

  close(): void {
    this.#stopPacer?.();
    this.#socket.close();
  }

  #onPacket(packet: Buffer): void {
    const rtp = parseRtp(packet);
    if (!rtp) return;
    const payload = packet.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength);
    const pcm = new Int16Array(payload.length);
    pcmuDecode(payload, pcm);
    this.received.push({ atMs: performance.now(), voiced: pcm.some((s) => Math.abs(s) > 64) });
    if (this.#echoGain === undefined) return;
    const gain = this.#echoGain;
    this.#send(pcm.map((s) => Math.round(s * gain)));
  }

  #send(pcm: Int16Array): void {
    if (!this.#remote) return;
    const packet = Buffer.alloc(12 + pcm.length);
    writeRtpHeader(packet, 0, {
      marker: false,
      payloadType: 0,
      sequenceNumber: this.#sequence,
      timestamp: this.#timestamp,
      ssrc: this.#ssrc,
    });
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + pcm.length) >>> 0;
    pcmuEncode(pcm, packet.subarray(12));
    this.#socket.send(packet, this.#remote.port, this.#remote.address);
  }
}

/**
 * One llm call in this process with the real parts: the media worker (real UDP to a `Caller`), the
 * real Redis audio channel, the agent's `CallRunner` with real flite, and a local OpenAI-compatible
 * server scripted by the test. The recogniser is the scripted stand-in (`stt.hear`, `stt.hearPartial`).
 */
export class InProcessCall {
  readonly server: FakeOpenAiServer;
  readonly caller: Caller;
  readonly stt = new ScriptedStt(() => undefined);
  readonly transcript: string[] = [];
  /** The record's transcript entries as the agent appended them (`cut` included). */
  readonly entries: TranscriptEntry[] = [];
  turns: readonly TurnLatency[] = [];
  /** performance.now() each time the media worker received a `clear` from the agent. */
  readonly clearsAtMedia: number[] = [];
  readonly #cleanup: Array<() => unknown> = [];

  private constructor(server: FakeOpenAiServer, caller: Caller) {
    this.server = server;
    this.caller = caller;
  }

  static async start(options: { echoGainDb?: number; greeting?: string } = {}): Promise<InProcessCall> {
    const call = new InProcessCall(await FakeOpenAiServer.start(), await Caller.open());
    const cleanup = call.#cleanup;
    cleanup.push(
      () => call.server.close(),
      () => call.caller.close(),
    );
    const prefix = `vbtest-inproc-${randomUUID()}`;
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
    const pool = new PortPool({ bindAddress: '127.0.0.1', ...(await freeRtpPortRange(10)), quarantineMs: 100 });
    // The media worker's own channel, watched for the agent's `clear` as it arrives.
    const watched: AudioChannel = {
      open: (callId, side, onMessage) =>
        mediaChannel.open(callId, side, (message) => {
          if (message[0] === FRAME_KIND_CONTROL && (decodeControlJson(message) as { event?: string }).event === 'clear')
            call.clearsAtMedia.push(performance.now());
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
    const outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });
    cleanup.push(() => outbound.close());

    const callId = `call-${randomUUID()}`;
    const { localRtp } = await worker.allocate({
      callId,
      remoteRtp: { address: '127.0.0.1', port: call.caller.port },
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
        appendTranscript: (_id, entry) => {
          call.entries.push(entry);
          return Promise.resolve(void call.transcript.push(`${entry.speaker}: ${entry.text}`));
        },
        update: (_id, patch) => Promise.resolve(void (call.turns = patch.turns ?? call.turns)),
      },
      stt: call.stt,
      tts,
      greetingDelayMs: 0,
      log,
      models: createLanguageModelFactory({
        env: {},
        secretEnv: SecretEnvAllowList.default(),
        outbound,
        timeoutMs: 30_000,
        firstTokenTimeoutMs: 10_000,
      }),
    });
    const now = Date.now();
    const llm = { baseUrl: call.server.baseUrl, model: 'fake-model' };
    const job: CallJob = {
      version: 1,
      callId,
      number: '+15550002222',
      config: {
        version: 2,
        number: '+15550002222',
        agent: { kind: 'llm', greeting: options.greeting ?? 'Hello.', llm },
        enabled: true,
        configVersion: 1,
        updatedAtMs: now,
      },
      codec: 'PCMU',
      sampleRateHz: 8000,
      ptimeMs: 20,
      invitedAtMs: now,
    };
    const abort = new AbortController();
    const running = runner.run(job, abort.signal);
    cleanup.push(async () => {
      abort.abort(new Error('test over'));
      await running;
    });
    worker.start(callId, Date.now());
    call.caller.start({ address: '127.0.0.1', port: localRtp.port }, options.echoGainDb);
    return call;
  }

  async close(): Promise<void> {
    for (const fn of this.#cleanup.splice(0).reverse()) await fn();
  }
}
