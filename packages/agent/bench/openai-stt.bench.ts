/**
 * The bridge's own cost of the OpenAI transcription adapter, against the local wire server of the
 * tests (zero delay, loopback, this process), never the provider's:
 * 1. the server's `completed` event → the adapter's final transcript in the consumer's hands, over
 *    VB_BENCH_TURNS turns (default 60) on one session, caller audio paced at 20 ms frames and a
 *    scripted turn every 200 ms of audio (speech_started/stopped, committed, deltas, completed);
 * 2. CPU of 50 concurrent sessions streaming paced audio (μ-law encode, base64 appends, a turn a
 *    second) over VB_BENCH_SECONDS (default 6).
 * The server runs in this process, so the CPU figure is an upper bound on the adapter's own.
 *
 *   node --import tsx packages/agent/bench/openai-stt.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { AsyncQueue } from '../src/async-queue.ts';
import { OpenAiStt } from '../src/engines/openai-stt.ts';
import { OpenAiTranscriptionWireServer, vadTurn } from '../test/engines/openai-transcription-wire-server.ts';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const FRAME = Int16Array.from({ length: 160 }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 300 * i) / 8000)));

function scriptTurns(server: OpenAiTranscriptionWireServer, turns: number, everyMs: number): void {
  server.script = {
    frames: Array.from({ length: turns }, (_, i) =>
      vadTurn(`item_${i}`, ['words', 'of', 'turn', String(i)], { startMs: i * everyMs, endMs: i * everyMs + 150 }).map(
        (frame) => ({ atAudioMs: (i + 1) * everyMs, frame }),
      ),
    ).flat(),
  };
}

/** Pushes a frame into every queue each 20 ms for `frames` ticks, then closes them. */
async function pace(queues: AsyncQueue<Int16Array>[], frames: number): Promise<void> {
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (const queue of queues) queue.push(FRAME);
      if (++ticks >= frames) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  for (const queue of queues) queue.close();
}

async function finalLatency(server: OpenAiTranscriptionWireServer, turns: number): Promise<void> {
  scriptTurns(server, turns, 200);
  const stt = new OpenAiStt({ url: server.url, apiKey: server.key, keyName: 'bench' });
  await stt.prepare(AbortSignal.timeout(5000));
  const audio = new AsyncQueue<Int16Array>(1000);
  const times: number[] = [];
  const listening = (async () => {
    for await (const t of stt.transcribe(audio, { sampleRateHz: 8000, signal: AbortSignal.timeout(120_000) })) {
      const item = `item_${t.text.split(' ').at(-1) ?? ''}`;
      const sentAt = server.completedSentAt.get(item);
      if (t.final && sentAt !== undefined) times.push(performance.now() - sentAt);
    }
  })();
  await pace([audio], (turns * 200) / 20 + 10);
  await listening;
  await stt.close();
  process.stdout.write(
    `openai stt adapter, server completed → final in the consumer (local server, 0 delay, paced audio): p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms over ${times.length} turns\n`,
  );
}

async function cpuPerCall(server: OpenAiTranscriptionWireServer, calls: number, seconds: number): Promise<void> {
  scriptTurns(server, seconds, 1000);
  const engines = Array.from({ length: calls }, () => ({
    stt: new OpenAiStt({ url: server.url, apiKey: server.key, keyName: 'bench' }),
    audio: new AsyncQueue<Int16Array>(1000),
  }));
  await Promise.all(engines.map((e) => e.stt.prepare(AbortSignal.timeout(10_000))));
  const cpu = process.cpuUsage();
  const wall = performance.now();
  let finals = 0;
  const listening = engines.map(async (e) => {
    for await (const t of e.stt.transcribe(e.audio, { sampleRateHz: 8000, signal: AbortSignal.timeout(60_000) }))
      if (t.final) finals++;
  });
  await pace(
    engines.map((e) => e.audio),
    seconds * 50,
  );
  await Promise.all(listening);
  const used = process.cpuUsage(cpu);
  const cpuShare = (used.user + used.system) / 1e6 / ((performance.now() - wall) / 1000);
  await Promise.all(engines.map((e) => e.stt.close()));
  process.stdout.write(
    `openai stt: ${calls} sessions, ${seconds} s: ${(cpuShare * 100).toFixed(1)}% of a core in all (adapter + local server), ${((cpuShare * 100) / calls).toFixed(3)}% per call; ${finals} finals\n`,
  );
}

export async function run(): Promise<void> {
  const server = await OpenAiTranscriptionWireServer.start();
  try {
    await finalLatency(server, Number(process.env['VB_BENCH_TURNS'] ?? 60));
    await cpuPerCall(server, 50, Number(process.env['VB_BENCH_SECONDS'] ?? 6));
  } finally {
    await server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
