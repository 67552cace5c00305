/**
 * Bridge-added latency of `realtime` (speech-to-speech) calls, per hop, under load: the real bridge
 * (`voicebridge start`: signaling, one media worker, one agent process) takes SIPp calls to a
 * `realtime` number whose model is the local OpenAI Realtime server of the agent's tests, in its
 * own process (realtime-model-process.ts). Printed, never asserted.
 *
 * The two spans (docs/agents.md "Realtime models", docs/operations.md "Benchmarks"):
 *   (a) caller → model: a caller's RTP packet handed to media's socket handler (`dgram` 'message')
 *       → the `input_audio_buffer.append` carrying that frame handed to the agent's model socket
 *       (`ws` send). Between: latch, jitter buffer, G.711 decode, the Redis audio channel, the
 *       agent's read, μ-law encode, base64, JSON. Every caller frame is followed (one append per
 *       20 ms frame).
 *   (b) model → caller: a `response.output_audio.delta` handed to the agent's socket listener
 *       (`ws` 'message', before it is parsed) → the first RTP packet of that delta handed to media's
 *       socket (`dgram` send). Between: JSON parse, base64, μ-law decode, re-framing into 20 ms
 *       frames and their marks, the audio channel, media's queue (a talkspurt's first frame leaves
 *       at once, not on the call's 20 ms slot), G.711 encode. Taken on each response's first
 *       delta: that is the wait a caller hears at the start of every answer. A later delta of a
 *       reply the server bursts faster than real time queues behind the audio before it, which is
 *       playout, not latency, so it is not counted.
 * Neither span includes the model's own time nor the network to it; both include the bridge's
 * event-loop waits under the load of the other calls.
 *
 * How: every frame carries a quiet stamp (realtime-stamp.ts: call and frame, or call and response,
 * in μ-law codes under −48 dBFS, so the barge-in detector hears silence), and the times are taken
 * inside the bridge's processes by probes installed through their V8 inspectors
 * (realtime-probes.ts; NODE_OPTIONS=--inspect=127.0.0.1:0, nothing in the product changed), by the
 * callers (realtime-callers.ts) and by the model; all on CLOCK_MONOTONIC, which every process
 * shares, so cross-process spans need no clock offset. The other hops are printed too (socket
 * waits, end to end), and the CPU of each process over the window.
 *
 * Per size (VB_BENCH_RT_CALLS, default 10,50), a fresh bridge and model; calls placed at 20 per
 * second, each held VB_BENCH_RT_CALL_S (default 30) seconds, then BYE. With every call up and a
 * 2 s warm-up, the window runs until 5 s before the first BYE; the model speaks about once a
 * second per call (400 ms of audio in 100 ms deltas), the callers send all the time. A frame is
 * followed when it passed a hop's first point once every point was noting, and not in the last 2 s
 * (it may still be on its way when the notes stop); one that never reaches the next point is
 * printed as not followed (lost or dropped by the bridge).
 *
 *   node --import tsx test-calls/bench/realtime-latency.bench.ts
 *   VB_BENCH_RT_CALLS=50 VB_BENCH_RT_CALL_S=60 node --import tsx test-calls/bench/realtime-latency.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { CallRecord } from '@voicebridge/protocol';
import { BenchChild } from '../../packages/media/bench/bench-child.ts';
import { envInteger, envIntegers } from '../../packages/media/bench/bench-env.ts';
import { processUsage } from '../../packages/media/bench/bench-stats.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { readyPids } from '../src/bridge-processes.ts';
import { callRecords, type SippResult } from '../src/sipp.ts';
import { warnings } from './bot-connector.bench.ts';
import { placeBenchCalls } from './place-bench-calls.ts';
import { RealtimeCallers } from './realtime-callers.ts';
import { hop, printRow, printSummary, type Followed, type LevelRow, type Notes } from './realtime-latency-report.ts';
import type { ModelCommand, ModelReport } from './realtime-model-process.ts';
import { ProcessProbe, type ProbeReport } from './realtime-probes.ts';
import { monoMicros } from './realtime-stamp.ts';

const NUMBER = '+15550178';
const CALLS_PER_SECOND = 20;
const WARMUP_MS = 2000;
/** The window ends this long before the first call's BYE. */
const TAIL_MS = 5000;
/** After the model stops speaking, time for the last response to be played out before the notes stop. */
const DRAIN_MS = 2000;

function levels(): number[] {
  return envIntegers('VB_BENCH_RT_CALLS', [10, 50], 1, 400);
}

function callSeconds(): number {
  return envInteger('VB_BENCH_RT_CALL_S', 30, 15, 600);
}

function load(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

async function redisPid(bridge: RunningBridge): Promise<number | undefined> {
  const info = await bridge.redis.info('server');
  const pid = /process_id:(\d+)/.exec(info)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

function recordCounts(records: CallRecord[]): LevelRow['records'] {
  const verdicts: Record<string, number> = {};
  for (const record of records) {
    const reason = record.verdict?.reason ?? record.status;
    verdicts[reason] = (verdicts[reason] ?? 0) + 1;
  }
  const sum = (key: 'responses' | 'bargeIns' | 'errors' | 'reconnects'): number =>
    records.reduce((n, r) => n + (r.realtime?.[key] ?? 0), 0);
  verdicts['(realtime responses)'] = sum('responses');
  verdicts['(barge-ins)'] = sum('bargeIns');
  verdicts['(model errors)'] = sum('errors');
  verdicts['(reconnects)'] = sum('reconnects');
  return { records: records.length, verdicts };
}

/** Places `calls` SIPp calls whose RTP is the callers'; resolves once all are answered or the wait ends. */
function placeCalls(
  bridge: RunningBridge,
  callers: RealtimeCallers,
  calls: number,
  callMs: number,
  dir: string,
): Promise<{ sipp: Promise<SippResult>; csv: string }> {
  return placeBenchCalls({
    sipPort: bridge.sipPort,
    number: NUMBER,
    callers,
    calls,
    callsPerSecond: CALLS_PER_SECOND,
    callMs,
    dir,
    answerWaitMs: 10_000,
  });
}

function notes(ids: ArrayLike<number>, atUs: ArrayLike<number>): Notes {
  return { ids, atUs };
}

async function runLevel(calls: number, callMs: number): Promise<LevelRow> {
  const dir = await mkdtemp(join(tmpdir(), 'vb-rt-bench-'));
  const model = new BenchChild<ModelCommand>(new URL('./realtime-model-process.ts', import.meta.url).href);
  const callers = new RealtimeCallers();
  let bridge: RunningBridge | undefined;
  let sipp: Promise<SippResult> | undefined;
  const loadStart = load();
  try {
    const { url } = await model.request<{ url: string }>({ type: 'setup' });
    bridge = await startBridge({
      rtpPorts: 2 * calls + 200,
      readyTimeoutMs: 90_000,
      env: {
        LOG_LEVEL: 'info',
        AGENT_CONCURRENCY: String(calls + 10),
        STT_POOL_SIZE: '1',
        SEED_DEMO_NUMBERS: 'false',
        // Each bridge process opens an inspector on a port of its own, where the probes go in.
        NODE_OPTIONS: '--inspect=127.0.0.1:0',
      },
    });
    const running = bridge;
    const set = await running.cli(
      ['numbers', 'set', NUMBER, '--agent', 'realtime', '--realtime-model', 'gpt-realtime', '--realtime-url', url],
      { NODE_OPTIONS: '' },
    );
    if (set.code !== 0) throw new Error(`numbers set failed: ${set.stderr}`);
    const pids: Record<string, number | undefined> = {
      signaling: readyPids(running, 'signaling')[0],
      media: readyPids(running, 'media')[0],
      agent: readyPids(running, 'agent')[0],
      model: model.process.pid,
      callers: process.pid,
      redis: await redisPid(running),
    };
    const media = new ProcessProbe(pids.media as number, 'media');
    const agent = new ProcessProbe(pids.agent as number, 'agent');
    // Bounded: every caller frame of the whole call, with room to spare.
    const cap = Math.ceil(calls * 50 * (callMs / 1000) * 1.2) + 1000;
    await media.install(cap);
    await agent.install(cap);

    const placed = await placeCalls(running, callers, calls, callMs, dir);
    sipp = placed.sipp;
    if (callers.answered < calls) console.log(`        only ${callers.answered} of ${calls} calls answered`);
    const windowStart = performance.now() + WARMUP_MS;
    const windowEnd = callers.firstAnswerMs + callMs - TAIL_MS;
    if (windowEnd - DRAIN_MS - windowStart < 5000)
      throw new Error(
        `VB_BENCH_RT_CALL_S: ${callMs / 1000} s leaves ${((windowEnd - DRAIN_MS - windowStart) / 1000).toFixed(1)} s with all ${calls} calls up (need 5 s); raise it`,
      );
    await sleep(windowStart - performance.now());
    // Every point downstream first, then the sources: nothing is sent unseen.
    await media.arm(true);
    await agent.arm(true);
    await model.request({ type: 'record', on: true });
    callers.record(true);
    const fromUs = monoMicros();
    await model.request({ type: 'speak', on: true });
    const names = Object.keys(pids).filter((n) => pids[n] !== undefined);
    const usage0 = Object.fromEntries(names.map((n) => [n, processUsage(pids[n] as number)]));
    const t0 = performance.now();
    await sleep(windowEnd - DRAIN_MS - performance.now());
    // Ids noted from here on are not followed; the model stops speaking and the last replies play out.
    const untilUs = monoMicros();
    await model.request({ type: 'speak', on: false });
    await sleep(DRAIN_MS);
    const elapsedS = (performance.now() - t0) / 1000;
    const usage1 = Object.fromEntries(names.map((n) => [n, processUsage(pids[n] as number)]));
    callers.record(false);
    await model.request({ type: 'record', on: false });
    await media.arm(false);
    await agent.arm(false);
    const loadEnd = load();
    const [mediaNotes, agentNotes] = [await media.collect(), await agent.collect()];
    const modelNotes = await model.request<ModelReport>({ type: 'report' });

    const run = await sipp;
    if (run.code !== 0) console.log(`        SIPp: exit ${run.code}, ${JSON.stringify(run.stats)}`);
    const records = callRecords(running);
    for (let i = 0; i < 150 && (await records.listLive()).length > 0; i++) await sleep(200);
    return {
      calls,
      answered: callers.answered,
      loadStart,
      loadEnd,
      windowS: elapsedS,
      responses: modelNotes.responses,
      ...spans(callers, mediaNotes, agentNotes, modelNotes, { fromUs, untilUs }),
      cpu: Object.fromEntries(
        names.map((n) => [n, (100 * ((usage1[n]?.cpuS ?? NaN) - (usage0[n]?.cpuS ?? NaN))) / elapsedS]),
      ),
      runDelay: Object.fromEntries(
        names.map((n) => [n, ((usage1[n]?.runDelayMs ?? NaN) - (usage0[n]?.runDelayMs ?? NaN)) / elapsedS]),
      ),
      overflow: [mediaNotes, agentNotes].reduce((n, r) => n + r.in.overflow + r.out.overflow, 0),
      modelMalformed: modelNotes.malformed,
      records: recordCounts(await records.listRecent({ limit: calls + 50 })),
      warnings: warnings(running.logs),
    };
  } finally {
    callers.close();
    await sipp?.catch(() => undefined);
    await bridge?.stop();
    await model.exit();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every hop of both directions, from the notes of the callers, the two bridge processes and the model. */
function spans(
  callers: RealtimeCallers,
  media: ProbeReport,
  agent: ProbeReport,
  model: ModelReport,
  window: Followed,
): Pick<LevelRow, 'spanA' | 'spanB' | 'inbound' | 'outbound' | 'endToEnd'> {
  const callerSent = notes(callers.sent.ids.toFloat64Array(), callers.sent.atUs.toFloat64Array());
  const callerGot = notes(callers.received.ids.toFloat64Array(), callers.received.atUs.toFloat64Array());
  const mediaIn = notes(media.in.ids, media.in.atUs);
  const mediaOut = notes(media.out.ids, media.out.atUs);
  const appendSent = notes(agent.out.ids, agent.out.atUs);
  const deltaRead = notes(agent.in.ids, agent.in.atUs);
  const appendRead = notes(model.appendIds, model.appendAtUs);
  const deltaSent = notes(model.deltaIds, model.deltaAtUs);
  return {
    spanA: hop('(a) caller frame read by media → append sent', mediaIn, appendSent, window),
    spanB: hop('(b) delta read by agent → its first RTP sent', deltaRead, mediaOut, window),
    inbound: [
      hop('caller send → media read (loopback, socket wait)', callerSent, mediaIn, window),
      hop('media read → append sent (a)', mediaIn, appendSent, window),
      hop('append sent → model read', appendSent, appendRead, window),
    ],
    outbound: [
      hop('model send → agent read', deltaSent, deltaRead, window),
      hop('agent read → first RTP sent (b)', deltaRead, mediaOut, window),
      hop('first RTP sent → caller read', mediaOut, callerGot, window),
    ],
    endToEnd: [
      hop('caller send → model read', callerSent, appendRead, window),
      hop('model send → caller read', deltaSent, callerGot, window),
    ],
  };
}

export async function run(): Promise<void> {
  const callMs = callSeconds() * 1000;
  console.log(
    `SIPp calls through the bridge (one media, one agent process) to a realtime number whose model is a local OpenAI Realtime server in its own process; ${callMs / 1000} s per call, ${CALLS_PER_SECOND} calls/s; ${availableParallelism()} CPUs; load average at start ${load()}`,
  );
  const rows: LevelRow[] = [];
  for (const calls of levels()) {
    const row = await runLevel(calls, callMs);
    printRow(row);
    rows.push(row);
  }
  printSummary(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
