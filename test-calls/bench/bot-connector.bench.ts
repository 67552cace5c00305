/**
 * The `websocket` connector under load: the real bridge (`voicebridge start`: signaling, one media
 * worker, one agent process) takes SIPp calls to a number bound to the `websocket` agent kind, whose
 * bot is an echo bot in its own process (echo-bot-process.ts). Printed, never asserted.
 *
 * SIPp carries the signaling (scenarios/uac-bench-rtp-elsewhere.xml); the RTP is the benchmark's own
 * (bench-callers.ts: one socket per call, 20 ms PCMU from a shared clock, every payload stamped with
 * its send time). SIPp could send 200 streams (`play_pcap_audio`), but it cannot say when each packet
 * of the bridge's stream arrived nor follow a frame to the bot and back, and the bridge latches RTP to
 * the sender's address, so the receiver has to be the sender.
 *
 * Per level (VB_BENCH_BOT_CALLS, default 50,100,200; a level above 100 runs only when the one before
 * met every target), a fresh bridge and bot; calls placed at 40 per second, each held
 * VB_BENCH_BOT_CALL_S (default 20) seconds, then BYE. With every call up, after a 2 s warm-up, the
 * window until the first call is 4.5 s from its end:
 *   - pacing at the caller, round trip, jitter, missing packets (bench-callers.ts);
 *   - clear probes, spread over the window, one per call (at most 200): the bot stops echoing on
 *     that stream, sends 1 s of tone and a mark, and `clear` 300 ms later; clear-to-silence is the
 *     bot's `clear` → the last tone packet at the caller (cross-process wall clock, ±~1 ms);
 *   - CPU % of one core per process (/proc), and how long each main thread waited for a CPU.
 * Over whole calls (stamps stop 4.5 s before the first BYE, so nothing is in flight at the end):
 * every stamped frame is counted at the caller, the bot (`chunk` must be contiguous) and back at the
 * caller; every bot byte must be played or dropped by a probe's `clear`. The agent process's
 * heapUsed after a forced GC (inspector-heap.ts) before the calls, with them up, and after.
 * The knee: the first level missing p99 pacing ≤ 5 ms, clear-to-silence p99 ≤ 60 ms, or losing anything.
 *
 *   node --import tsx test-calls/bench/bot-connector.bench.ts
 *   VB_BENCH_BOT_CALLS=100 VB_BENCH_BOT_CALL_S=30 node --import tsx test-calls/bench/bot-connector.bench.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { BenchChild } from '../../packages/media/bench/bench-child.ts';
import { envInteger, envIntegers } from '../../packages/media/bench/bench-env.ts';
import { processUsage, summarize } from '../../packages/media/bench/bench-stats.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { readyPids } from '../src/bridge-processes.ts';
import { callRecords, type SippResult } from '../src/sipp.ts';
import { BenchCallers } from './bench-callers.ts';
import { placeBenchCalls } from './place-bench-calls.ts';
import {
  followFrames,
  frameCounts,
  healthy,
  printKnee,
  printRow,
  recordCounts,
  type LevelRow,
} from './bot-connector-report.ts';
import { inboundLosses } from './bot-connector-losses.ts';
import type { BotCommand, BotReport } from './echo-bot-process.ts';
import { heapUsedAfterGc } from './inspector-heap.ts';

const NUMBER = '+15550177';
const CALLS_PER_SECOND = 40;
const WARMUP_MS = 2000;
/** Stamps stop this long before the first call's BYE: 1 s for the last echoes, ~1 s for a GC'd heap reading, margin. */
const TAIL_MS = 4500;
const MAX_PROBES = 200;

function levels(): number[] {
  return envIntegers('VB_BENCH_BOT_CALLS', [50, 100, 200], 1, 900);
}

function callSeconds(): number {
  return envInteger('VB_BENCH_BOT_CALL_S', 20, 10, 600);
}

/** The pid of the process whose command line holds `needle` (SIPp, found by its unique -inf path). */
function pidWith(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

async function redisPid(bridge: RunningBridge): Promise<number | undefined> {
  const info = await bridge.redis.info('server');
  const pid = /process_id:(\d+)/.exec(info)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

const MIB = 1024 * 1024;

/** The bridge's warn/error lines (pino level ≥ 40) counted by message. */
export function warnings(logs: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of logs) {
    if (!line.includes('"level":4') && !line.includes('"level":5')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; service?: string };
      if ((entry.level ?? 0) < 40) continue;
      const key = `${entry.service ?? '?'}: ${entry.msg ?? ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
    } catch {
      // Not pino JSON (e.g. the inspector's own lines).
    }
  }
  return counts;
}

async function runLevel(calls: number, callMs: number): Promise<LevelRow> {
  const dir = await mkdtemp(join(tmpdir(), 'vb-bot-bench-'));
  const bot = new BenchChild<BotCommand>(new URL('./echo-bot-process.ts', import.meta.url).href);
  const callers = new BenchCallers();
  let bridge: RunningBridge | undefined;
  let sipp: Promise<SippResult> | undefined;
  const load = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  try {
    const { port: botPort } = await bot.request<{ port: number }>({ type: 'setup' });
    bridge = await startBridge({
      rtpPorts: 2 * calls + 200,
      readyTimeoutMs: 90_000,
      env: {
        LOG_LEVEL: 'info',
        AGENT_CONCURRENCY: String(calls + 10),
        STT_POOL_SIZE: '1',
        SEED_DEMO_NUMBERS: 'false',
        // Each bridge process opens an inspector on a port of its own, for the heap readings.
        NODE_OPTIONS: '--inspect=127.0.0.1:0',
      },
    });
    const running = bridge;
    const set = await running.cli(
      ['numbers', 'set', NUMBER, '--agent', 'websocket', '--websocket-url', `ws://127.0.0.1:${botPort}/media`],
      { NODE_OPTIONS: '' },
    );
    if (set.code !== 0) throw new Error(`numbers set failed: ${set.stderr}`);
    const pids: Record<string, number | undefined> = {
      signaling: readyPids(running, 'signaling')[0],
      media: readyPids(running, 'media')[0],
      agent: readyPids(running, 'agent')[0],
      bot: bot.process.pid,
      supervisor: running.child.pid,
      callers: process.pid,
      redis: await redisPid(running),
    };
    const agentPid = pids.agent as number;
    const heapIdle = (await heapUsedAfterGc(agentPid)) / MIB;

    // A call not answered within ANSWER_TIMEOUT_MS (5 s) of its INVITE got 503: stop waiting for it.
    const placed = await placeBenchCalls({
      sipPort: running.sipPort,
      number: NUMBER,
      callers,
      calls,
      callsPerSecond: CALLS_PER_SECOND,
      callMs,
      dir,
      answerWaitMs: 8000,
    });
    sipp = placed.sipp;
    const { csv, rampMs } = placed;
    const firstAnswerMs = Math.min(...callers.legs.filter((l) => l.answeredAtMs > 0).map((l) => l.answeredAtMs));
    const windowStart = performance.now() + WARMUP_MS;
    const windowEnd = firstAnswerMs + callMs - TAIL_MS;
    if (callers.answered < calls)
      console.log(
        `        only ${callers.answered} of ${calls} calls answered within ${((rampMs + 8000) / 1000).toFixed(1)} s`,
      );
    if (windowEnd - windowStart < 3000)
      throw new Error(
        `VB_BENCH_BOT_CALL_S: ${callMs / 1000} s leaves ${((windowEnd - windowStart) / 1000).toFixed(1)} s with all ${calls} calls up (need 3 s); raise it`,
      );
    await sleep(windowStart - performance.now());
    callers.measure(true);
    await bot.request({ type: 'measure' });
    pids.sipp = pidWith(csv);
    const names = Object.keys(pids).filter((n) => pids[n] !== undefined);
    const usage0 = Object.fromEntries(names.map((n) => [n, processUsage(pids[n] as number)]));
    const t0 = performance.now();
    const probes = Math.min(calls, MAX_PROBES);
    const spacingMs = Math.min(100, (windowEnd - windowStart - 600) / probes);
    await bot.request({ type: 'probe', spacingMs, max: probes });
    await sleep(windowEnd - performance.now());
    const elapsedS = (performance.now() - t0) / 1000;
    const usage1 = Object.fromEntries(names.map((n) => [n, processUsage(pids[n] as number)]));
    callers.measure(false);
    const pacing = summarize(callers.pacing.toFloat64Array());
    const roundTrip = summarize(callers.roundTrips.toFloat64Array());
    const jitter = summarize(callers.jitterMs());
    const { received, missing, talkspurts } = callers;
    callers.stopStamping();
    await sleep(1000);
    const heapLoaded = (await heapUsedAfterGc(agentPid)) / MIB;

    const run = await sipp;
    if (run.code !== 0) console.log(`        SIPp: exit ${run.code}, ${JSON.stringify(run.stats)}`);
    const records = callRecords(running);
    for (let i = 0; i < 150 && (await records.listLive()).length > 0; i++) await sleep(200);
    await sleep(1500);
    const heapAfter = (await heapUsedAfterGc(agentPid)) / MIB;
    const botReport = await bot.request<BotReport>({ type: 'report' });
    const followed = followFrames(callers, botReport);
    return {
      calls,
      answered: callers.answered,
      load,
      windowS: elapsedS,
      pacing,
      jitter,
      roundTrip,
      botInbound: botReport.inbound,
      received,
      missing,
      talkspurts,
      frames: frameCounts(callers, botReport),
      inboundLosses: inboundLosses(callers, botReport),
      records: recordCounts(await records.listRecent({ limit: calls + 50 })),
      clear: summarize(followed.clearMs),
      probes: botReport.streams.filter((s) => s.clearAtUs > 0).length,
      probesWithoutTone: followed.probesUnheard,
      cpu: Object.fromEntries(
        names.map((n) => [n, (100 * ((usage1[n]?.cpuS ?? NaN) - (usage0[n]?.cpuS ?? NaN))) / elapsedS]),
      ),
      runDelay: Object.fromEntries(
        names.map((n) => [n, ((usage1[n]?.runDelayMs ?? NaN) - (usage0[n]?.runDelayMs ?? NaN)) / elapsedS]),
      ),
      heap: { idle: heapIdle, loaded: heapLoaded, after: heapAfter },
      warnings: warnings(running.logs),
    };
  } finally {
    callers.close();
    await sipp?.catch(() => undefined);
    await bridge?.stop();
    await bot.exit();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const callMs = callSeconds() * 1000;
  console.log(
    `SIPp calls through the bridge (one media, one agent process) to a websocket number's echo bot in its own process; ${callMs / 1000} s per call, ${CALLS_PER_SECOND} calls/s; ${availableParallelism()} CPUs; load average at start ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const rows: LevelRow[] = [];
  const sizes = levels();
  for (const [i, calls] of sizes.entries()) {
    const row = await runLevel(calls, callMs);
    printRow(row);
    rows.push(row);
    // Up to 100 calls every level runs (the CPU per call still says something); past that only while healthy.
    if (!healthy(row) && calls >= 100 && i < sizes.length - 1) {
      console.log(`  ${calls} calls missed a target: ${sizes.slice(i + 1).join(', ')} not run`);
      break;
    }
  }
  printKnee(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
