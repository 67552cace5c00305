/**
 * Our media path's cost per packet beside two yardsticks, driven by one load generator in one run
 * (printed, never asserted):
 *   (a) our media worker, media only (the real MediaWorker in its own process, echo agent inside);
 *   (b) a bare Node UDP echo, one socket per call, in its own process: Node's own floor;
 *   (c) when Debian's rtpengine-daemon is installed (scripts/setup.sh bench), rtpengine in userspace
 *       (`table = -1`, its own instance, config and ports, loopback only), driven over its ng control
 *       protocol: relaying PCMU, and transcoding PCMU → PCMA (the work closest to ours: every packet
 *       decoded and encoded again). Without the binary a line says so and (c) is skipped.
 * Every target gets the same load: per call 50 packets/s in and 50 out, 20 ms PCMU stamped with its
 * send time (side-generator.ts). Per size (VB_BENCH_SIDE_CALLS, default 200,500) and target, after a
 * 2 s warm-up, VB_BENCH_SECONDS (default 5) measured, VB_BENCH_SIDE_ROUNDS (default 3) rounds taking
 * the targets in turn (so a busy moment of a shared box falls on each alike), medians printed:
 *   - CPU µs per packet: user + system CPU of the relaying process (/proc/PID/stat utime + stime, all
 *     its threads) over the packets it handled, in and out (a relayed packet counts twice);
 *   - CPU share (% of one core) of each process: the target's and the generator's;
 *   - p99 inter-arrival deviation at the receiving socket: |gap between a call's packets − 20 ms|;
 *   - loss: stamped packets sent and never received (all rounds);
 *   - round trip p50/p99: the send stamp → the packet back at a generator socket (one pass through
 *     the target: for rtpengine caller → callee, for the echoes caller → caller);
 *   - the ratios of our CPU per packet to the Node echo's (goal ≤ 2.0) and to rtpengine
 *     transcoding's (goal ≤ 1.0).
 *
 *   node --import tsx packages/media/bench/side-by-side.bench.ts
 *   VB_BENCH_SIDE_CALLS=50 VB_BENCH_SIDE_ROUNDS=1 VB_BENCH_SECONDS=5 …   a quick pass on a busy box
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { envIntegers } from './bench-env.ts';
import { processUsage, summarize, udpDrops } from './bench-stats.ts';
import { findRtpengine } from './rtpengine-daemon.ts';
import { SideGenerator } from './side-generator.ts';
import {
  startNodeEcho,
  startOurs,
  startRtpengine,
  TARGET_LABELS,
  type Target,
  type TargetKind,
} from './side-targets.ts';

const WARMUP_MS = 2000;
/**
 * After the last send, packets still on their way (a loaded target's queue can hold hundreds of ms)
 * are counted until none has come for QUIET_MS, for at most DRAIN_MAX_MS.
 */
const QUIET_MS = 500;
const DRAIN_MAX_MS = 10_000;

async function drain(generator: SideGenerator): Promise<void> {
  const until = performance.now() + DRAIN_MAX_MS;
  let seen = generator.received;
  let quietSince = performance.now();
  while (performance.now() < until && performance.now() - quietSince < QUIET_MS) {
    await sleep(50);
    if (generator.received !== seen) {
      seen = generator.received;
      quietSince = performance.now();
    }
  }
}

interface Measurement {
  usPerPacket: number;
  /** % of one core, by process name ("generator" and the target's). */
  cpu: Record<string, number>;
  interArrivalP99: number;
  sent: number;
  lost: number;
  /** Where the target says its losses went (our worker: frames dropped by the playout bound, queue drops). */
  lossNotes: string[];
  roundTripP50: number;
  roundTripP99: number;
}

async function startTarget(
  kind: TargetKind,
  generator: SideGenerator,
  calls: number,
  rtpengine?: string,
): Promise<Target> {
  const relay = kind === 'rtpengine-relay' || kind === 'rtpengine-transcode';
  const { callerPorts, calleePorts } = await generator.open(calls, relay);
  if (kind === 'ours') return startOurs(callerPorts);
  if (kind === 'node-echo') return startNodeEcho(calls);
  if (!rtpengine) throw new Error('rtpengine is not installed');
  return startRtpengine(rtpengine, callerPorts, calleePorts, kind === 'rtpengine-transcode');
}

async function measure(kind: TargetKind, calls: number, seconds: number, rtpengine?: string): Promise<Measurement> {
  const generator = new SideGenerator();
  let target: Target | undefined;
  try {
    target = await startTarget(kind, generator, calls, rtpengine);
    await generator.start(target.ports);
    await sleep(WARMUP_MS);
    const pids: Record<string, number> = { ...target.pids, generator: process.pid };
    const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processUsage(pid).cpuS]));
    // Kernel receive drops on both ends' sockets (the target's receiving ports, the generator's).
    const watched = new Set([...target.ports, ...generator.ports]);
    const drops0 = udpDrops((port) => watched.has(port));
    await target.measure?.();
    generator.reset();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const after = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processUsage(pid).cpuS]));
    generator.stopSending();
    const elapsedS = (performance.now() - t0) / 1000;
    await drain(generator);
    const stats = generator.stats();
    const kernelDrops = udpDrops((port) => watched.has(port)) - drops0;
    const lossNote = [kernelDrops > 0 ? `${kernelDrops} kernel receive drops` : '', (await target.lossNote?.()) ?? '']
      .filter((note) => note !== '')
      .join(', ');
    const used = (name: string): number => (after[name] ?? NaN) - (before[name] ?? NaN);
    const targetCpuS = Object.keys(target.pids).reduce((s, name) => s + used(name), 0);
    const roundTrip = summarize(stats.roundTrips);
    return {
      usPerPacket: (targetCpuS * 1e6) / (stats.sent + stats.received),
      cpu: Object.fromEntries(Object.keys(pids).map((name) => [name, (100 * used(name)) / elapsedS])),
      interArrivalP99: summarize(stats.interArrival).p99,
      sent: stats.sent,
      lost: Math.max(0, stats.sent - stats.received),
      lossNotes: lossNote ? [lossNote] : [],
      roundTripP50: roundTrip.p50,
      roundTripP99: roundTrip.p99,
    };
  } finally {
    generator.close();
    await target?.close();
  }
}

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The rounds of one target at one size, each figure its median (losses summed). */
function combine(rounds: Measurement[]): Measurement {
  const names = [...new Set(rounds.flatMap((r) => Object.keys(r.cpu)))];
  return {
    usPerPacket: median(rounds.map((r) => r.usPerPacket)),
    cpu: Object.fromEntries(names.map((n) => [n, median(rounds.map((r) => r.cpu[n] ?? NaN))])),
    interArrivalP99: median(rounds.map((r) => r.interArrivalP99)),
    sent: rounds.reduce((s, r) => s + r.sent, 0),
    lost: rounds.reduce((s, r) => s + r.lost, 0),
    lossNotes: rounds.flatMap((r) => r.lossNotes),
    roundTripP50: median(rounds.map((r) => r.roundTripP50)),
    roundTripP99: median(rounds.map((r) => r.roundTripP99)),
  };
}

const pad = (text: string, width: number): string => text.padEnd(width);
const num = (value: number, digits: number): string => (Number.isNaN(value) ? 'n/a' : value.toFixed(digits));

function printTable(results: Map<number, Map<TargetKind, Measurement>>): void {
  console.log(
    `  ${pad('calls', 6)}${pad('target', 46)}${pad('µs/packet', 11)}${pad('inter-arrival p99', 19)}${pad('lost/sent', 16)}${pad('round trip p50/p99', 24)}CPU % of one core`,
  );
  for (const [calls, byTarget] of results) {
    for (const [kind, m] of byTarget) {
      const cpu = Object.entries(m.cpu)
        .map(([name, pct]) => `${name} ${num(pct, 1)}`)
        .join(', ');
      console.log(
        `  ${pad(String(calls), 6)}${pad(TARGET_LABELS[kind], 46)}${pad(num(m.usPerPacket, 2), 11)}${pad(`${num(m.interArrivalP99, 2)} ms`, 19)}${pad(`${m.lost}/${m.sent}`, 16)}${pad(`${num(m.roundTripP50, 2)} / ${num(m.roundTripP99, 2)} ms`, 24)}${cpu}`,
      );
    }
  }
}

function printRatios(results: Map<number, Map<TargetKind, Measurement>>): void {
  for (const [calls, byTarget] of results) {
    const ours = byTarget.get('ours')?.usPerPacket ?? NaN;
    const ratio = (kind: TargetKind): number => ours / (byTarget.get(kind)?.usPerPacket ?? NaN);
    const parts = [`ours / Node echo ${num(ratio('node-echo'), 2)}× (goal ≤ 2.0)`];
    if (byTarget.has('rtpengine-transcode'))
      parts.push(`ours / rtpengine transcode ${num(ratio('rtpengine-transcode'), 2)}× (goal ≤ 1.0)`);
    if (byTarget.has('rtpengine-relay')) parts.push(`ours / rtpengine relay ${num(ratio('rtpengine-relay'), 2)}×`);
    console.log(`  ${calls} calls: CPU per packet ${parts.join('; ')}`);
    const lost = [...byTarget]
      .filter(([, m]) => m.lost > 0)
      .map(([kind, m]) => `${kind} ${m.lost}${m.lossNotes.length ? ` (${m.lossNotes.join('; ')})` : ''}`);
    if (lost.length > 0) console.log(`  ! ${calls} calls: packets lost: ${lost.join(', ')}`);
  }
}

export async function run(): Promise<void> {
  const sizes = envIntegers('VB_BENCH_SIDE_CALLS', [200, 500], 1, 2000);
  const [rounds = 3] = envIntegers('VB_BENCH_SIDE_ROUNDS', [3], 1, 20);
  const seconds = Number(process.env.VB_BENCH_SECONDS ?? 5);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`VB_BENCH_SECONDS must be a positive number`);
  const rtpengine = findRtpengine();
  const kinds: TargetKind[] = ['ours', 'node-echo'];
  if (rtpengine) kinds.push('rtpengine-relay', 'rtpengine-transcode');
  else
    console.log(
      '(c) rtpengine: no rtpengine binary on PATH (scripts/setup.sh bench installs Debian’s rtpengine-daemon): skipped',
    );
  console.log(
    `load: per call 50 packets/s in and 50 out (20 ms PCMU), loopback; ${seconds} s measured after a ${WARMUP_MS / 1000} s warm-up; ${rounds} round(s), medians; ${availableParallelism()} CPUs`,
  );
  const results = new Map<number, Map<TargetKind, Measurement>>();
  for (const calls of sizes) {
    const measured = new Map<TargetKind, Measurement[]>(kinds.map((k) => [k, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const kind of [...kinds]) {
        let m: Measurement;
        try {
          m = await measure(kind, calls, seconds, rtpengine);
        } catch (error) {
          // rtpengine is a yardstick, not ours: if it cannot start or set up calls here, the rest runs.
          if (!kind.startsWith('rtpengine')) throw error;
          console.log(`  (c) rtpengine failed (${String(error)}): skipped from here on`);
          kinds.splice(kinds.indexOf('rtpengine-relay'), 2);
          for (const k of ['rtpengine-relay', 'rtpengine-transcode'] as const) measured.delete(k);
          break;
        }
        measured.get(kind)?.push(m);
        console.log(
          `  ${calls} calls, round ${round}, ${kind}: ${num(m.usPerPacket, 2)} µs/packet, inter-arrival p99 ${num(m.interArrivalP99, 2)} ms, lost ${m.lost}/${m.sent}${m.lossNotes.length ? ` (${m.lossNotes.join('; ')})` : ''}`,
        );
      }
    }
    results.set(calls, new Map([...measured].map(([kind, ms]) => [kind, combine(ms)])));
  }
  console.log('side by side (medians of the rounds; CPU per packet counts each packet in and each out):');
  printTable(results);
  printRatios(results);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
