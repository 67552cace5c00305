/**
 * Media capacity on this machine, printed, never asserted: timings on a shared box are not assertions.
 *
 *  (a) media only: the real MediaWorker in its own process with the echo agent inside it, at
 *      VB_BENCH_MEDIA_CALLS (default 100,500,1000) calls;
 *  (b) through the agent channel: the same worker on binary Redis pub/sub to a separate echo agent
 *      process, at VB_BENCH_AGENT_CALLS (default 100,200,500) calls;
 *  (d) clear-to-silence during the largest (b) run: the agent queues 1 s of marked tone, sends
 *      `clear` 300 ms later; measured from the agent issuing `clear` to the last tone packet
 *      leaving the media socket (its send callback in the media process); 200 probes, one every
 *      100 ms on its own call. Also printed: when the generator read that packet.
 *
 * The load generator (this process) sends real RTP over loopback, one socket per call, 20 ms
 * PCMU, from a shared clock with the calls spread over the period. Per size, after a 2 s warm-up,
 * VB_BENCH_SECONDS (default 5) of measurement:
 *   - pacing deviation: in the media process, when each call's send callback ran − when it was due;
 *   - inbound packet → agent frame: generator send stamp (in the payload) → the frame at the agent
 *     (cross-process wall clock, ±~1 ms), and the round trip back to the generator;
 *   - losses: kernel receive drops of the media sockets (/proc/net/udp `drops`), the sessions'
 *     internal drops (late/duplicate/queue full), and packets missing at the generator;
 *   - receiver jitter (RFC 3550 A.8) at the generator; CPU % of one core and RSS per process;
 *   - how long each process's main thread was runnable but waiting for a CPU (schedstat run delay):
 *     on a machine this small the load generator and the media processes take turns on two cores,
 *     and that wait shows up directly in the pacing tail.
 * The knee is the first size missing its target (media only: p99 pacing ≤ 3 ms; agent channel:
 * ≤ 5 ms; and nothing lost by the bridge). The round trip (generator send stamp → the echoed packet
 * back at the generator) has a goal of p99 ≤ 60 ms: a line says so when a size misses it, and each
 * size prints the agent frames the media processes dropped for lagging after a stall (ADR 0014).
 * VB_BENCH_MEDIA_ONLY=1 runs (a) alone: nothing of it needs Redis.
 *
 *   node --import tsx packages/media/bench/capacity.bench.ts
 *   VB_BENCH_MEDIA_CALLS=500 VB_BENCH_AGENT_CALLS=200 VB_BENCH_SECONDS=10 VB_BENCH_PROFILE_DIR=/tmp/prof …
 *   VB_BENCH_METRICS=on …   the media processes carry and serve their metrics (media-process.ts): the
 *                           cost of /metrics, compared with a run without (docs/operations.md)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { BenchChild } from './bench-child.ts';
import { fmt, processUsage, summarize, udpDrops, type Summary } from './bench-stats.ts';
import type { AgentCommand } from './echo-agent-process.ts';
import { envIntegers } from './bench-env.ts';
import { LoadGenerator } from './load-generator.ts';
import type { MediaCommand } from './media-process.ts';

const WARMUP_MS = 2000;
/** Caller packet → echoed packet, p99: above it a caller hears the agent answer late (ADR 0014). */
const ROUND_TRIP_GOAL_MS = 60;

interface Row {
  calls: number;
  /** Media worker processes the calls were spread over. */
  processes: number;
  pacing: Summary;
  frameLatency: Summary;
  roundTrip: Summary;
  /** Caller packet → its echo handed to the media socket (in the media processes). */
  roundTripAtSocket: Summary;
  jitter: Summary;
  kernelDrops: number;
  internalDrops: number;
  lateDiscards: number;
  droppedLate: number;
  missing: number;
  gcMinor: Summary;
  gcMajor: Summary;
  cpu: Record<string, number>;
  rss: Record<string, number>;
  /** Main thread's wait for a CPU, ms per second, and preemptions per second. */
  runDelay: Record<string, number>;
  preempted: Record<string, number>;
  /** % of one core the media processes spent in the metrics' own work (VB_BENCH_METRICS=on). */
  metricsCpu: number;
}

/** The calls of media process `j` of `k`: every k-th, as signaling's least-loaded choice spreads them. */
function share<T>(items: T[], j: number, k: number): T[] {
  return items.filter((_, i) => i % k === j);
}

/** Clear-to-silence per probe: to the last tone packet leaving a media socket (the figure), and as the generator read it. */
interface ClearFigures {
  atSocket: Summary;
  atGenerator: Summary;
}

/** Clear probes in the largest (b) run: one started every 100 ms on its own call. */
const CLEAR_PROBES = 200;

interface MediaReport {
  pacing: Float64Array;
  frameLatency: Float64Array;
  echoAtSocket: Float64Array;
  internalDrops: number;
  lateDiscards: number;
  droppedLate: number;
  gcMinor: Summary;
  gcMajor: Summary;
  /** CPU the media process spent in the metrics' own work (VB_BENCH_METRICS=on), µs. */
  metricsCpuUs: number;
}

async function runSize(
  mode: 'inner' | 'redis',
  calls: number,
  seconds: number,
  clearProbe: boolean,
  processes: number,
): Promise<{ row: Row; clear?: ClearFigures }> {
  const prefix = `vbbench:${randomBytes(4).toString('hex')}`;
  const span = 2 * Math.ceil(calls / processes) + 200;
  const minPort = 20000 + 2 * Math.floor(Math.random() * 2000);
  const maxPort = minPort + span * processes - 1;
  const medias = Array.from({ length: processes }, () => new BenchChild<MediaCommand>('./media-process.ts'));
  const agent = mode === 'redis' ? new BenchChild<AgentCommand>('./echo-agent-process.ts') : undefined;
  const generator = new LoadGenerator();
  try {
    await Promise.all(
      medias.map((media, j) =>
        media.request({
          type: 'setup',
          mode,
          prefix,
          minPort: minPort + j * span,
          maxPort: minPort + (j + 1) * span - 1,
        }),
      ),
    );
    await agent?.request({ type: 'setup', prefix });
    const genPorts = await generator.open(calls);
    const callIds = genPorts.map((_, i) => `bench-${i}`);
    // As in a call: media allocates (and subscribes), then the agent takes the call and says ready.
    const ports: number[] = new Array<number>(calls);
    await Promise.all(
      medias.map(async (media, j) => {
        const indexes = share([...callIds.keys()], j, processes);
        const answer = await media.request<{ ports: number[] }>({
          type: 'allocate',
          calls: indexes.map((i) => ({ callId: callIds[i] as string, remotePort: genPorts[i] as number })),
        });
        indexes.forEach((i, n) => (ports[i] = answer.ports[n] as number));
      }),
    );
    if (agent) await agent.request({ type: 'open', callIds });
    const inMedia = (port: number): boolean => port >= minPort && port <= maxPort;
    await generator.start(ports);
    await sleep(WARMUP_MS);
    await Promise.all(medias.map((media) => media.request({ type: 'measure' })));
    await agent?.request({ type: 'measure' });
    generator.resetCounts();
    const drops0 = udpDrops(inMedia);
    const pids: Record<string, number> = { generator: process.pid };
    medias.forEach((media, j) => (pids[processes === 1 ? 'media' : `media-${j + 1}`] = media.process.pid as number));
    if (agent) pids.agent = agent.process.pid as number;
    const usage0 = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processUsage(pid)]));
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const elapsedS = (performance.now() - t0) / 1000;
    const usage1 = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processUsage(pid)]));
    // The measurement is over: a process past its capacity answers once its backlog is worked off
    // (1,000 calls on two processes of the 2-vCPU VM never answered while the load went on).
    generator.pauseSending();
    const reports = await Promise.all(medias.map((media) => media.request<MediaReport>({ type: 'report' })));
    const agentReport = await agent?.request<{ frameLatency: Summary }>({ type: 'report' });
    const gen = generator.stats();
    const merged = (pick: (r: MediaReport) => Float64Array): number[] => reports.flatMap((r) => Array.from(pick(r)));
    // GC: the worst process's pauses (each process pauses alone).
    const worstGc = (pick: (r: MediaReport) => Summary): Summary =>
      reports.map(pick).reduce((a, b) => (b.count > 0 && (a.count === 0 || b.max > a.max) ? b : a));
    const row: Row = {
      calls,
      processes,
      pacing: summarize(merged((r) => r.pacing)),
      frameLatency: agentReport?.frameLatency ?? summarize(merged((r) => r.frameLatency)),
      roundTrip: summarize(gen.roundTrips),
      roundTripAtSocket: summarize(merged((r) => r.echoAtSocket)),
      jitter: summarize(gen.jitterMs),
      kernelDrops: udpDrops(inMedia) - drops0,
      internalDrops: reports.reduce((n, r) => n + r.internalDrops, 0),
      lateDiscards: reports.reduce((n, r) => n + r.lateDiscards, 0),
      droppedLate: reports.reduce((n, r) => n + r.droppedLate, 0),
      gcMinor: worstGc((r) => r.gcMinor),
      gcMajor: worstGc((r) => r.gcMajor),
      missing: gen.expected - gen.received,
      cpu: Object.fromEntries(
        Object.keys(pids).map((n) => [n, (100 * ((usage1[n]?.cpuS ?? NaN) - (usage0[n]?.cpuS ?? NaN))) / elapsedS]),
      ),
      rss: Object.fromEntries(Object.keys(pids).map((n) => [n, usage1[n]?.rssMiB ?? NaN])),
      runDelay: Object.fromEntries(
        Object.keys(pids).map((n) => [n, ((usage1[n]?.runDelayMs ?? NaN) - (usage0[n]?.runDelayMs ?? NaN)) / elapsedS]),
      ),
      metricsCpu: (100 * reports.reduce((us, r) => us + (r.metricsCpuUs ?? 0), 0)) / 1e6 / elapsedS,
      preempted: Object.fromEntries(
        Object.keys(pids).map((n) => [n, ((usage1[n]?.preempted ?? NaN) - (usage0[n]?.preempted ?? NaN)) / elapsedS]),
      ),
    };
    let clear: ClearFigures | undefined;
    if (clearProbe && agent) {
      // Let the report's own work (IPC, merging samples, the garbage it leaves) pass first.
      await sleep(1000);
      const probeIds = callIds
        .filter((_, i) => i % Math.max(1, Math.floor(calls / CLEAR_PROBES)) === 0)
        .slice(0, CLEAR_PROBES);
      const { clears } = await agent.request<{ clears: Record<string, number> }>({
        type: 'clear-probe',
        callIds: probeIds,
      });
      // By the generator's port: when the last tone packet to it left a media socket.
      const sentUs: Record<string, number> = {};
      for (const media of medias)
        Object.assign(sentUs, (await media.request<{ byPort: Record<string, number> }>({ type: 'tone-sent' })).byPort);
      // A probe whose tone never left a media socket measures nothing: left out (and counted).
      const seen = probeIds.filter((id) => (sentUs[String(genPorts[callIds.indexOf(id)])] ?? 0) > 0);
      const after = (atUs: number, id: string): number => Math.max(0, (atUs - (clears[id] ?? 0)) / 1000);
      clear = {
        atSocket: summarize(seen.map((id) => after(sentUs[String(genPorts[callIds.indexOf(id)])] ?? 0, id))),
        atGenerator: summarize(seen.map((id) => after(generator.lastToneAtUs(callIds.indexOf(id)), id))),
      };
    }
    return { row, clear };
  } finally {
    generator.close();
    await Promise.all(medias.map((media) => media.request({ type: 'close-calls' }).catch(() => undefined)));
    await Promise.all(medias.map((media) => media.exit()));
    await agent?.exit();
  }
}

function printRow(row: Row): void {
  const procs = Object.keys(row.cpu)
    .map((n) => `${n} ${(row.cpu[n] ?? NaN).toFixed(1)}% ${(row.rss[n] ?? NaN).toFixed(0)} MiB`)
    .join(', ');
  const over = row.processes > 1 ? ` over ${row.processes} media processes` : '';
  console.log(`  ${String(row.calls).padStart(5)} calls${over}  pacing ${fmt(row.pacing)}`);
  console.log(`               packet → agent frame ${fmt(row.frameLatency, 1)}; receiver jitter ${fmt(row.jitter)}`);
  console.log(
    `               round trip: to the media socket ${fmt(row.roundTripAtSocket, 1)}; back at the generator ${fmt(row.roundTrip, 1)}`,
  );
  for (const [where, s] of [
    ['to the media socket', row.roundTripAtSocket],
    ['back at the generator', row.roundTrip],
  ] as const) {
    if (s.p99 > ROUND_TRIP_GOAL_MS)
      console.log(
        `               ! round trip ${where} p99 ${s.p99.toFixed(1)} ms is over the ${ROUND_TRIP_GOAL_MS} ms goal`,
      );
  }
  console.log(
    `               lost by the bridge: ${row.kernelDrops} kernel drops + ${row.internalDrops} internal queue drops; jitter buffer discarded ${row.lateDiscards} late packets; agent frames dropped late after stalls ${row.droppedLate}; missing at the generator ${row.missing}`,
  );
  console.log(`               CPU (% of one core) / RSS: ${procs}`);
  if (process.env.VB_BENCH_METRICS === 'on')
    console.log(
      `               of which the metrics' own work (sampling, scrapes, closes): ${row.metricsCpu.toFixed(3)}%`,
    );
  const waits = Object.keys(row.runDelay)
    .map(
      (n) => `${n} ${(row.runDelay[n] ?? NaN).toFixed(1)} ms/s (${(row.preempted[n] ?? NaN).toFixed(0)} preemptions/s)`,
    )
    .join(', ');
  console.log(`               main thread runnable but waiting for a CPU: ${waits}`);
  const gc = (s: Summary): string => (s.count === 0 ? 'none' : `${s.count} × (${fmt(s)})`);
  console.log(
    `               media GC pauses${row.processes > 1 ? ' (worst process)' : ''}: minor ${gc(row.gcMinor)}; major ${gc(row.gcMajor)}`,
  );
}

function knee(rows: Row[], targetMs: number): string {
  const ok = (r: Row): boolean => r.pacing.p99 <= targetMs && r.kernelDrops + r.internalDrops === 0;
  const firstBad = rows.find((r) => !ok(r));
  const lastGood = [...rows].reverse().find(ok);
  if (!firstBad)
    return `no knee up to ${rows.at(-1)?.calls ?? 0} calls (every size met p99 ≤ ${targetMs} ms, nothing lost)`;
  return `knee between ${lastGood?.calls ?? 0} and ${firstBad.calls} calls (first size over p99 ${targetMs} ms or losing packets: ${firstBad.calls})`;
}

/** Media process counts to run every size with: VB_BENCH_MEDIA_PROCESSES, default 1 and what MEDIA_WORKERS=auto starts here. */
function processCounts(): number[] {
  const auto = Math.min(8, availableParallelism());
  const raw = process.env.VB_BENCH_MEDIA_PROCESSES;
  if (!raw) return auto > 1 ? [1, auto] : [1];
  const parsed = raw.split(',').map((s) => (s.trim() === 'auto' ? auto : Number(s.trim())));
  if (parsed.some((n) => !Number.isInteger(n) || n < 1 || n > 64))
    throw new Error(`VB_BENCH_MEDIA_PROCESSES must be a comma-separated list of 1-64 or auto, got ${raw}`);
  return parsed;
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.VB_BENCH_SECONDS ?? 5);
  console.log(
    `load: ${seconds} s measured per size after a ${WARMUP_MS / 1000} s warm-up; 20 ms PCMU both ways; loopback; ${availableParallelism()} CPUs`,
  );
  for (const processes of processCounts()) {
    const over =
      processes === 1
        ? 'one media process'
        : `${processes} media processes (MEDIA_WORKERS=${processes}), calls spread evenly`;
    console.log(`(a) media only, echo inside the media process, ${over} (target p99 pacing ≤ 3 ms, nothing lost):`);
    const inner: Row[] = [];
    for (const calls of envIntegers('VB_BENCH_MEDIA_CALLS', [100, 500, 1000], 1, 5000)) {
      const { row } = await runSize('inner', calls, seconds, false, processes);
      printRow(row);
      inner.push(row);
    }
    console.log(`  ${knee(inner, 3)}`);
    if (process.env.VB_BENCH_MEDIA_ONLY === '1') continue;
    console.log(
      `(b) through the agent channel (Redis pub/sub) to a separate echo agent process, ${over} (target p99 ≤ 5 ms, nothing lost):`,
    );
    const viaAgent: Row[] = [];
    const agentSizes = envIntegers('VB_BENCH_AGENT_CALLS', [100, 200, 500], 1, 5000);
    let clear: ClearFigures | undefined;
    for (const calls of agentSizes) {
      const result = await runSize('redis', calls, seconds, calls === Math.max(...agentSizes), processes);
      printRow(result.row);
      viaAgent.push(result.row);
      clear = result.clear ?? clear;
    }
    console.log(`  ${knee(viaAgent, 5)}`);
    console.log(
      `(d) clear-to-silence at ${Math.max(...agentSizes)} calls through the agent channel, ${over} (target p99 ≤ 40 ms): ${fmt(clear?.atSocket, 1)} over ${clear?.atSocket.count ?? 0} probes (0 = the clear landed before the next packet was due)`,
    );
    console.log(
      `    the last tone packet as the generator read it: ${fmt(clear?.atGenerator, 1)} (adds the generator's own wait for a CPU)`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
