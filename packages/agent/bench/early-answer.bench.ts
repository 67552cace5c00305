/**
 * Turn latency waiting for finals vs starting the answer on a stable partial (docs/conversation.md):
 * one llm call through the real `CallRunner`, Redis channel and flite, a local OpenAI-compatible
 * server (first token after VB_BENCH_TTFT_MS, default 150), and the scripted recogniser of the tests
 * giving interims, then the final VB_BENCH_FINAL_DELAY_MS (default 600) after the caller's last word.
 * Latency: the caller's last word (its interim) → the reply's first audio at the media side, over
 * VB_BENCH_TURNS turns (default 50) per mode:
 * - `final`: answerStart final (the request starts at the final);
 * - `partial, endpoint`: the last interim carries the provider's end-of-turn (AssemblyAI's
 *   unformatted `end_of_turn` ahead of its formatted turn): stable at once;
 * - `partial, 200 ms`: a plain interim, stable after partialStableMs.
 * Every 5th partial turn the final adds a word: the early answer (distinct words and an end_call)
 * must be discarded. Asserted (the mechanism, not speed): each early request started at least
 * final delay − stable − 20 ms before the final; the restarts counted are exactly those turns; no
 * discarded answer's words reached the transcript and no hangup came.
 *
 *   node --import tsx packages/agent/bench/early-answer.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { FliteTts } from '../src/tts/flite-tts.ts';
import { chunk, FakeOpenAiServer, streamEvents, streamText } from '../test/llm/fake-openai-server.ts';
import { LlmCallHarness } from '../test/agents/llm-call-harness.ts';

const TURNS = Number(process.env['VB_BENCH_TURNS'] ?? 50);
const FINAL_DELAY_MS = Number(process.env['VB_BENCH_FINAL_DELAY_MS'] ?? 600);
const TTFT_MS = Number(process.env['VB_BENCH_TTFT_MS'] ?? 150);
const STABLE_MS = 200;
const DISCARDED_WORDS = 'Discarded answer, goodbye.';

type Mode = 'final' | 'partial, endpoint' | 'partial, 200 ms';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ModeResult {
  latencies: number[];
  restarts: number;
  expectedRestarts: number;
  /** Final time − early request start, per early-started turn. */
  leads: number[];
}

async function runMode(server: FakeOpenAiServer, tts: FliteTts, mode: Mode): Promise<ModeResult> {
  const requestTimes: Array<{ atMs: number; words: string }> = [];
  server.respondWith(async (request, response) => {
    const messages = (request.body as { messages: Array<{ role: string; content: string }> }).messages;
    const words = messages.at(-1)?.content ?? '';
    requestTimes.push({ atMs: performance.now(), words });
    await sleep(TTFT_MS);
    if (words.endsWith('maybe'))
      return streamEvents([
        chunk({ role: 'assistant', content: DISCARDED_WORDS }),
        chunk({
          tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'end_call', arguments: '{}' } }],
        }),
        chunk({}, 'tool_calls'),
      ])(request, response);
    return streamText(['Yes, we can.'])(request, response);
  });
  const call = await LlmCallHarness.start({
    llm: { baseUrl: server.baseUrl, model: 'bench' },
    env: {},
    tts,
    agentConfig: {
      kind: 'llm',
      greeting: 'Hi.',
      llm: { baseUrl: server.baseUrl, model: 'bench' },
      answerStart: mode === 'final' ? 'final' : 'partial',
      partialStableMs: STABLE_MS,
    },
  });
  const result: ModeResult = { latencies: [], restarts: 0, expectedRestarts: 0, leads: [] };
  try {
    await call.greeted();
    for (let turn = 1; turn <= TURNS; turn++) {
      const differs = mode !== 'final' && turn % 5 === 0;
      if (differs) result.expectedRestarts++;
      const words = `can i book table ${turn}${differs ? ' maybe' : ''}`;
      const marksBefore = call.marks();
      const samplesBefore = audioSamples(call);
      call.stt.hearPartial(`can i book`);
      await sleep(40);
      const lastWordAtMs = performance.now();
      call.stt.hearPartial(words, mode === 'partial, endpoint');
      await sleep(FINAL_DELAY_MS);
      const finalAtMs = performance.now();
      call.stt.hear(`Can I book table ${turn}${differs ? ' maybe, please' : ''}?`);
      let firstAudioAtMs = 0;
      await call.media.waitFor(() => {
        if (audioSamples(call) === samplesBefore) return false;
        firstAudioAtMs = performance.now();
        return true;
      }, `turn ${turn}'s first audio`);
      await call.media.waitFor(() => call.marks() > marksBefore, `turn ${turn}'s end`, 30_000);
      result.latencies.push(firstAudioAtMs - lastWordAtMs);
      const early = requestTimes.find((r) => r.atMs > lastWordAtMs - 1 && r.atMs < finalAtMs);
      if (mode !== 'final' && !differs) {
        if (early === undefined) throw new Error(`${mode}: turn ${turn} did not start early`);
        result.leads.push(finalAtMs - early.atMs);
      }
    }
    await call.media.waitFor(() => call.turns.length >= TURNS, 'every turn recorded');
    result.restarts = call.turns.reduce((n, t) => n + (t.restarts ?? 0), 0);
    if (call.transcript.some((t) => t.text.includes(DISCARDED_WORDS)))
      throw new Error(`${mode}: a discarded answer reached the transcript`);
    if (call.media.controls().some((c) => c.event === 'hangup'))
      throw new Error(`${mode}: a discarded answer's end_call ran`);
  } finally {
    await call.close();
  }
  return result;
}

function audioSamples(call: LlmCallHarness): number {
  return call.media.events.reduce((n, e) => n + (e.kind === 'audio' ? e.samples.length : 0), 0);
}

export async function run(): Promise<void> {
  const server = await FakeOpenAiServer.start();
  const tts = new FliteTts();
  try {
    process.stdout.write(
      `${TURNS} turns per mode; final ${FINAL_DELAY_MS} ms after the last word; first token ${TTFT_MS} ms after the request; partialStableMs ${STABLE_MS}\n`,
    );
    const medians: Partial<Record<Mode, number>> = {};
    for (const mode of ['final', 'partial, endpoint', 'partial, 200 ms'] as const) {
      const r = await runMode(server, tts, mode);
      medians[mode] = percentile(r.latencies, 50);
      const stable = mode === 'partial, endpoint' ? 0 : STABLE_MS;
      const need = FINAL_DELAY_MS - stable - 20;
      const short = r.leads.filter((lead) => lead < need);
      if (short.length > 0)
        throw new Error(`${mode}: ${short.length} early requests started less than ${need} ms before the final`);
      if (r.restarts !== r.expectedRestarts)
        throw new Error(`${mode}: ${r.restarts} restarts counted, ${r.expectedRestarts} expected`);
      process.stdout.write(
        `${mode.padEnd(18)} last word → first reply audio p50 ${percentile(r.latencies, 50).toFixed(0)} ms, p90 ${percentile(r.latencies, 90).toFixed(0)} ms, p99 ${percentile(r.latencies, 99).toFixed(0)} ms` +
          (r.leads.length > 0
            ? `; request ${percentile(r.leads, 50).toFixed(0)} ms before the final (p50, min ${Math.min(...r.leads).toFixed(0)})`
            : '') +
          `; restarts ${r.restarts}/${r.expectedRestarts}\n`,
      );
    }
    const base = medians.final ?? NaN;
    for (const mode of ['partial, endpoint', 'partial, 200 ms'] as const)
      process.stdout.write(`gain (${mode}): ${(base - (medians[mode] ?? NaN)).toFixed(0)} ms at the median\n`);
  } finally {
    await tts.close();
    await server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
