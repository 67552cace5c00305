/**
 * The media side of the capacity benchmark, in its own process (so its CPU and RSS are its own):
 * a real MediaWorker with real sockets, driven over IPC by capacity.bench.ts. Mode `inner`: the
 * echo agent lives inside this process (an AudioChannel that hands every caller frame straight back
 * as agent audio: the benchmark's run (a)); mode `redis`: the real RedisAudioChannel to a separate agent
 * process (run (b)). Pacing deviation = when a call's clock callback (which sends its packet) ran −
 * when it was due, both on performance.now() (hrtime) in this process.
 */
import { Socket } from 'node:dgram';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel, type AudioChannel, type CallChannel } from '@voicebridge/channel';
import { encodeControl, FRAME_KIND_AUDIO } from '@voicebridge/protocol';
import { MediaClock, type ClockSlot } from '@voicebridge/rtp';
import { createProcessRegistry } from '@voicebridge/metrics';
import { MediaMetrics, MediaWorker, PortPool } from '../src/index.ts';
import {
  epochMicros,
  readFrameStamp,
  readStamp,
  SampleBuffer,
  sinceStampMs,
  summarize,
  TONE_MAGIC,
} from './bench-stats.ts';

export type MediaCommand =
  | {
      type: 'setup';
      mode: 'inner' | 'redis';
      prefix: string;
      minPort: number;
      maxPort: number;
      /**
       * Default true: pacing, frame latency and the echo at the socket are measured in this process.
       * The side-by-side bench passes false: it measures at its generator only, and the CPU this
       * process spends is then the worker's alone, as the yardsticks beside it carry no probes.
       */
      instrument?: boolean;
    }
  | { type: 'allocate'; calls: { callId: string; remotePort: number }[] }
  | { type: 'measure' }
  | { type: 'report' }
  | { type: 'tone-sent' }
  | { type: 'close-calls' }
  | { type: 'exit' };

let lateness = new SampleBuffer();
/** Jitter buffer late + duplicate discards per call at the start of the measurement. */
let discards0 = new Map<string, number>();
/** Agent frames dropped for lagging behind the clock after a stall (ADR 0014) per call at the start. */
let droppedLate0 = new Map<string, number>();
let frameLatency = new SampleBuffer();
/** Garbage-collection pauses during the measurement (ms): minor (scavenge) and major (mark-compact). */
let gcMinor: number[] = [];
let gcMajor: number[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
    (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR ? gcMajor : gcMinor).push(entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

/** A MediaClock that notes how late each callback starts, on steady and on talkspurt slots. */
class MeasuredClock extends MediaClock {
  override add(periodMs: number, onTick: (scheduledAtMs: number) => void): ClockSlot {
    return super.add(periodMs, measured(onTick));
  }

  /** Talkspurt slots (a reply's first frame at once, then every ptime) are sends too. */
  override addAt(periodMs: number, firstAtMs: number, onTick: (scheduledAtMs: number) => void): ClockSlot {
    return super.addAt(periodMs, firstAtMs, measured(onTick));
  }
}

function measured(onTick: (scheduledAtMs: number) => void): (scheduledAtMs: number) => void {
  return (at) => {
    lateness.push(performance.now() - at);
    onTick(at);
  };
}

/**
 * Clear-to-silence ends when the last tone packet left the media socket (run (d)): noted
 * here, in the send callback, by remote port. Measured at the generator instead, a packet already
 * sent waits in its socket while the generator waits for a CPU, which on two busy cores added up
 * to ~150 ms to single probes.
 */
const lastToneSentUs = new Map<number, number>();
/**
 * The round trip as far as the bridge goes: the caller packet's send stamp → its echo handed to the
 * media socket. The generator's own figure adds however long the generator waited for a CPU before
 * reading the echo, which on two busy cores is most of it.
 */
let echoAtSocket = new SampleBuffer();
const send = Socket.prototype.send as (this: Socket, ...args: unknown[]) => void;
const measuredSend = function (this: Socket, ...args: unknown[]): void {
  // send(packet, offset, length, port, address, callback) or, for a whole buffer, send(packet, port, address, callback).
  const whole = typeof args[2] !== 'number';
  const [packet, offset, port, cbIndex] = whole ? [args[0], 0, args[1], 3] : [args[0], args[1], args[3], 5];
  if (Buffer.isBuffer(packet) && typeof offset === 'number') {
    const stamp = readStamp(packet.subarray(offset + 12));
    if (stamp >= 0) echoAtSocket.push(sinceStampMs(stamp, epochMicros()));
  }
  if (
    Buffer.isBuffer(packet) &&
    typeof offset === 'number' &&
    typeof port === 'number' &&
    packet[offset + 12] === TONE_MAGIC &&
    packet[offset + 112] === TONE_MAGIC
  ) {
    const callback = args[cbIndex] as ((error: Error | null) => void) | undefined;
    args[cbIndex] = (error: Error | null) => {
      lastToneSentUs.set(port, epochMicros());
      callback?.(error);
    };
  }
  send.apply(this, args);
} as typeof Socket.prototype.send;
let instrumented = false;

/** Frame latency: the caller packet's send stamp (generator clock) to this frame reaching the "agent". */
function noteFrame(message: Buffer): void {
  if (!instrumented) return;
  const stamp = readFrameStamp(message);
  if (stamp >= 0) frameLatency.push(sinceStampMs(stamp, epochMicros()));
}

/** The echo agent inside media: ready at once, every caller frame back as agent audio. */
class InMediaEcho implements AudioChannel {
  open(callId: string, _side: 'media' | 'agent', onMessage: (message: Buffer) => void): CallChannel {
    queueMicrotask(() => onMessage(encodeControl({ event: 'ready' })));
    return {
      callId,
      ready: Promise.resolve(),
      send: (message) => {
        if (message[0] !== FRAME_KIND_AUDIO) return;
        noteFrame(message);
        onMessage(message);
      },
      close: () => undefined,
    };
  }
  async close(): Promise<void> {}
}

const log = pino({ level: 'silent' });
let worker: MediaWorker | undefined;
let clock: MediaClock | undefined;
let pool: PortPool | undefined;
let channel: AudioChannel | undefined;
const conns: Redis[] = [];
let callIds: string[] = [];
let metrics: MediaMetrics | undefined;
let scrapeTimer: NodeJS.Timeout | undefined;
let sampleTimer: NodeJS.Timeout | undefined;
/** CPU (user + system, µs) this process spent in the metrics' own work since `measure`. */
let metricsCpuUs = 0;

/** Runs `work` (synchronous, or resolving within one microtask drain) and adds its CPU time to metricsCpuUs. */
function accounted(work: () => void | Promise<unknown>): void {
  const before = process.cpuUsage();
  const done = (): void => {
    const used = process.cpuUsage(before);
    metricsCpuUs += used.user + used.system;
  };
  const result = work();
  if (result instanceof Promise) void result.then(done);
  else done();
}

/**
 * VB_BENCH_METRICS=on: the worker carries the metrics a bridge's media process does (its registry
 * with Node's runtime metrics, MediaMetrics sampling every RTCP interval) and is scraped every
 * VB_BENCH_METRICS_SCRAPE_MS (default 1000: fifteen times Prometheus's usual interval, so the cost
 * measured is an upper bound), the registry serialised as the supervisor's IPC request would.
 */
function startMetrics(): ((session: Parameters<MediaMetrics['sessionClosed']>[0]) => void) | undefined {
  if (process.env.VB_BENCH_METRICS !== 'on') return undefined;
  const registry = createProcessRegistry();
  // Sampled here on the same 5 s interval as in a bridge, so its CPU time can be accounted.
  const owned = new MediaMetrics({ registry, sessions: () => worker?.sessions() ?? [], clock, intervalMs: 0 });
  metrics = owned;
  sampleTimer = setInterval(() => accounted(() => owned.sample()), 5000);
  scrapeTimer = setInterval(
    () => accounted(() => registry.getMetricsAsJSON().then((json) => JSON.stringify(json))),
    Number(process.env.VB_BENCH_METRICS_SCRAPE_MS ?? 1000),
  );
  return (session) => accounted(() => owned.sessionClosed(session));
}

function reply(message: unknown): void {
  process.send?.(message);
}

process.on('message', (command: MediaCommand) => {
  void handle(command).catch((error: unknown) => reply({ type: 'error', message: String(error) }));
});

async function handle(command: MediaCommand): Promise<void> {
  switch (command.type) {
    case 'setup': {
      if (command.mode === 'redis') {
        conns.push(new Redis({ enableAutoPipelining: false }), new Redis({ enableAutoPipelining: false }));
        channel = new RedisAudioChannel({
          publisher: conns[0] as Redis,
          subscriber: conns[1] as Redis,
          keyPrefix: command.prefix,
        });
      } else {
        channel = new InMediaEcho();
      }
      instrumented = command.instrument ?? true;
      if (instrumented) Socket.prototype.send = measuredSend;
      clock = instrumented ? new MeasuredClock() : new MediaClock();
      pool = new PortPool({
        bindAddress: '127.0.0.1',
        minPort: command.minPort,
        maxPort: command.maxPort,
        quarantineMs: 0,
      });
      const onSessionClosed = startMetrics();
      worker = new MediaWorker({
        pool,
        clock,
        channel,
        advertisedAddress: '127.0.0.1',
        log,
        onEvent: () => undefined,
        onSessionClosed,
      });
      reply({ type: 'ready' });
      return;
    }
    case 'allocate': {
      const ports: number[] = [];
      for (const call of command.calls) {
        const { localRtp } = await (worker as MediaWorker).allocate({
          callId: call.callId,
          remoteRtp: { address: '127.0.0.1', port: call.remotePort },
          codec: { name: 'PCMU', payloadType: 0 },
          telephoneEventPayloadType: 101,
          ptimeMs: 20,
          direction: 'sendrecv',
        });
        ports.push(localRtp.port);
      }
      for (const call of command.calls) worker?.start(call.callId, Date.now());
      callIds = command.calls.map((c) => c.callId);
      reply({ type: 'allocated', ports });
      return;
    }
    case 'measure':
      lateness = new SampleBuffer();
      frameLatency = new SampleBuffer();
      echoAtSocket = new SampleBuffer();
      gcMinor = [];
      gcMajor = [];
      discards0 = new Map();
      droppedLate0 = new Map();
      metricsCpuUs = 0;
      for (const id of callIds) {
        const session = worker?.session(id);
        if (!session) continue;
        session.stats.dropped = 0;
        discards0.set(id, session.jitterStats.late + session.jitterStats.duplicates);
        droppedLate0.set(id, session.mediaStats.framesDroppedLate ?? 0);
      }
      reply({ type: 'measuring' });
      return;
    case 'report': {
      // session.stats.dropped counts queue drops and the jitter buffer's late/duplicate discards:
      // the discards are a playout decision about packets that arrived too late, shown apart.
      let dropped = 0;
      let discards = 0;
      let droppedLate = 0;
      for (const id of callIds) {
        const session = worker?.session(id);
        if (!session) continue;
        const late = session.jitterStats.late + session.jitterStats.duplicates - (discards0.get(id) ?? 0);
        discards += late;
        dropped += session.stats.dropped - late;
        droppedLate += (session.mediaStats.framesDroppedLate ?? 0) - (droppedLate0.get(id) ?? 0);
      }
      // Raw samples (structured clone over IPC) so the parent can merge several media processes.
      reply({
        type: 'report',
        pacing: lateness.toFloat64Array(),
        frameLatency: frameLatency.toFloat64Array(),
        echoAtSocket: echoAtSocket.toFloat64Array(),
        internalDrops: dropped,
        lateDiscards: discards,
        droppedLate,
        gcMinor: summarize(gcMinor),
        gcMajor: summarize(gcMajor),
        metricsCpuUs,
      });
      return;
    }
    case 'tone-sent':
      reply({ type: 'tone-sent', byPort: Object.fromEntries(lastToneSentUs) });
      return;
    case 'close-calls':
      worker?.closeAll('drain');
      callIds = [];
      reply({ type: 'closed' });
      return;
    case 'exit':
      worker?.close();
      clearInterval(scrapeTimer);
      clearInterval(sampleTimer);
      metrics?.close();
      clock?.close();
      pool?.close();
      await channel?.close();
      for (const c of conns) c.disconnect();
      reply({ type: 'bye' });
      process.exit(0);
  }
}
