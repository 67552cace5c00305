/**
 * Barge-in time at 1 and 100 concurrent calls (ADR 0023), measured from both RTP streams at the
 * generator's sockets: the caller's onset (the first voiced packet of its utterance as it left the
 * generator) → the last voiced agent packet that reached the generator before the agent fell silent.
 *
 * In this process with the real parts (`barge-in-calls.ts`): the media worker, the Redis audio
 * channel, a `CallRunner` per call with the llm agent speaking a long answer (flite behind the TTS
 * cache) from a local OpenAI-compatible server, and the scripted recogniser of the tests (it hears
 * the caller's words only after they stop, as pocketsphinx does, so only the caller's voice
 * stops the agent). The caller's speech is flite rendered at phone level (−26 dB active level, four voices)
 * and sent through G.711; each barge-in comes 0.8–1.6 s into a reply, so it lands on every
 * phase of the agent's speech.
 *
 * Per size: at least VB_BENCH_BARGEINS barge-ins (default 50, spread over the calls), then the
 * "false barge-in" pass: VB_BENCH_FALSE_BURSTS (default 10) 150 ms pink-noise bursts (a cough) over
 * a reply — how many paused it (a `clear` reached media), resumed it (agent voice back), or stopped it.
 * Also onset → the agent's `clear` at the media worker (the detector's decision plus both Redis hops),
 * and the process's CPU. The detector's own CPU per frame is `packages/agent/bench/barge-in-detector.bench.ts`.
 * Never asserted: the machine is shared; `uptime` is printed beside the figures.
 *
 *   VB_BENCH_BARGEIN_CALLS=1,10 node --import tsx test-calls/bench/barge-in.bench.ts   (default 1,100)
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { envInteger, envIntegers } from '../../packages/media/bench/bench-env.ts';
import { readWavPcm } from '../src/audio-fixtures.ts';
import { streamText } from '../../packages/agent/test/llm/fake-openai-server.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { BargeInCalls, type BenchCall } from './barge-in-calls.ts';

const exec = promisify(execFile);
const SIZES = envIntegers('VB_BENCH_BARGEIN_CALLS', [1, 100], 1, 400);
const BARGEINS = envInteger('VB_BENCH_BARGEINS', 50, 1, 1000);
const FALSE_BURSTS = envInteger('VB_BENCH_FALSE_BURSTS', 10, 0, 1000);
const VOICES = ['rms', 'slt', 'awb', 'kal'];
const INTERRUPTION = 'Sorry, wait, I have a question about that.';
/** An ordinary voice on a phone line (ITU-T P.56 active level), as the detector's tests use. */
const ACTIVE_LEVEL_DB = -26;
const QUESTIONS = ['Tell me about your opening hours.', 'And what about the weekend?', 'Where do I park?'];
/** About 36 s of speech, one sentence said six times: a reply is always cut or judged long before it ends. */
const ANSWER = Array.from(
  { length: 6 },
  () => ' Our opening hours are nine to five on weekdays, and on Saturdays we open at ten until two in the afternoon.',
);
/** When the streaming recogniser's interim names the caller's words, after the onset. */
const INTERIM_MS = envInteger('VB_BENCH_INTERIM_MS', 500, 0, 5000);
/** Agent silence that ends a barge-in: longer than the pauses between flite's clauses. */
const SILENT_MS = 400;

interface Audio {
  speech: Int16Array[];
  burst: Int16Array;
}

async function renderAudio(dir: string): Promise<Audio> {
  const speech: Int16Array[] = [];
  for (const voice of VOICES) {
    const raw = join(dir, `${voice}.raw.wav`);
    const wav = join(dir, `${voice}.wav`);
    await exec('flite', ['-voice', voice, '-t', INTERRUPTION, '-o', raw]);
    await exec('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', wav]);
    const pcm = await readWavPcm(wav);
    const gain = 10 ** ((ACTIVE_LEVEL_DB - activeLevelDb(pcm)) / 20);
    speech.push(pcm.map((s) => Math.max(-32768, Math.min(32767, Math.round(s * gain)))));
  }
  const burst = join(dir, 'cough.wav');
  await exec('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    burst,
    'synth',
    '0.15',
    'pinknoise',
    'gain',
    '-n',
    '-6',
  ]);
  return { speech, burst: await readWavPcm(burst) };
}

/** The active speech level (ITU-T P.56 in spirit): the mean power of 20 ms frames within 30 dB of the loudest. */
function activeLevelDb(pcm: Int16Array): number {
  const levels: number[] = [];
  for (let at = 0; at + 160 <= pcm.length; at += 160) {
    let sum = 0;
    for (let i = at; i < at + 160; i++) sum += (pcm[i] as number) ** 2;
    if (sum > 0) levels.push(10 * Math.log10(sum / 160 / 32768 ** 2));
  }
  const top = Math.max(...levels);
  const active = levels.filter((l) => l > top - 30);
  return 10 * Math.log10(active.reduce((sum, l) => sum + 10 ** (l / 10), 0) / active.length);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function line(name: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${name.padEnd(36)} p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms (n=${sorted.length})`;
}

const poll = { everyMs: 20 };

/** The caller asks; resolves once 0.8–1.6 s of the reply reached the generator. */
async function replyPlaying(call: BenchCall, question: string): Promise<void> {
  const before = call.caller.agentVoiced.length;
  call.stt.hear(question);
  const frames = randomInt(40, 81);
  await waitFor('the reply playing', 60_000, () => call.caller.agentVoiced.length - before >= frames, poll);
}

/** Waits until no voiced agent packet arrived for SILENT_MS; the last one's time. */
async function agentSilent(call: BenchCall): Promise<number> {
  const voiced = call.caller.agentVoiced;
  await waitFor('the agent silent', 60_000, () => performance.now() - (voiced.at(-1) ?? 0) >= SILENT_MS, poll);
  return voiced.at(-1) ?? NaN;
}

interface Samples {
  yieldMs: number[];
  firstPauseMs: number[];
  clearMs: number[];
  notTalkedOver: number;
  /** Barge-ins the judge first took for noise: the reply resumed before a second barge-in stopped it. */
  resumedFirst: number;
}

const samples = (): Samples => ({ yieldMs: [], firstPauseMs: [], clearMs: [], notTalkedOver: 0, resumedFirst: 0 });

interface Results {
  failed: string[];
  bursts: number;
  paused: number;
  resumed: number;
  stopped: number;
  /** The records' falseBargeIns counted during the false barge-in pass. */
  recorded: number;
}

const falseBargeInsOf = (call: BenchCall): number => call.turns.reduce((n, t) => n + (t.falseBargeIns ?? 0), 0);

type Mode = 'energy' | 'interim';

/** The caller talks over the reply; resolves with the onset once the whole utterance was sent. */
async function interrupt(call: BenchCall, speech: Int16Array, mode: Mode): Promise<number> {
  const spoken = call.caller.say(speech);
  const onsetMs = await spoken.onsetMs;
  if (mode === 'interim') {
    await waitFor('the interim', 5000, () => performance.now() >= onsetMs + INTERIM_MS, poll);
    call.stt.hearPartial(INTERRUPTION.toLowerCase().replace(/[^a-z ]/g, ''));
  }
  await spoken.sent;
  return onsetMs;
}

/**
 * Barge-ins on replies, alternating two recognisers: `energy`, one that names words only after the
 * caller stops (pocketsphinx): only the caller's voice stops the agent and the judge weighs voice
 * alone; `interim`, a streaming one whose interim with the caller's words comes INTERIM_MS after the onset.
 */
async function bargeIns(call: BenchCall, rounds: number, audio: Audio, results: Record<Mode, Samples>): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const mode: Mode = round % 2 === 0 ? 'energy' : 'interim';
    const samples = results[mode];
    await replyPlaying(call, QUESTIONS[round % QUESTIONS.length]!);
    const resumesBefore = falseBargeInsOf(call);
    const voice = Math.floor(round / 2) % audio.speech.length;
    const onsetMs = await interrupt(call, audio.speech[voice]!, mode);
    const lastVoicedMs = await agentSilent(call);
    // Talked over: the agent's voice was flowing at the onset, not in a pause between clauses.
    const voicedBefore = call.caller.agentVoiced.filter((t) => t >= onsetMs - 100 && t < onsetMs).length;
    if (voicedBefore < 2) {
      samples.notTalkedOver++;
      continue;
    }
    samples.yieldMs.push(lastVoicedMs - onsetMs);
    // The first silence: the last voiced packet before the first 300 ms without one (a resumed reply speaks again after it).
    const after = call.caller.agentVoiced.filter((t) => t >= onsetMs - 100);
    const gap = after.findIndex((t, i) => i + 1 < after.length && after[i + 1]! - t >= 300);
    samples.firstPauseMs.push((gap >= 0 ? after[gap]! : lastVoicedMs) - onsetMs);
    const clear = call.clears.find((t) => t >= onsetMs);
    if (clear !== undefined) samples.clearMs.push(clear - onsetMs);
    if (falseBargeInsOf(call) > resumesBefore) samples.resumedFirst++;
  }
}

async function falseBursts(call: BenchCall, rounds: number, audio: Audio, results: Results): Promise<void> {
  const recordedBefore = falseBargeInsOf(call);
  for (let round = 0; round < rounds; round++) {
    await replyPlaying(call, QUESTIONS[round % QUESTIONS.length]!);
    const burst = call.caller.say(audio.burst);
    const onsetMs = await burst.onsetMs;
    await burst.sent;
    results.bursts++;
    const clear = await waitFor('a clear', 1500, () => call.clears.find((t) => t >= onsetMs), poll).catch(
      () => undefined,
    );
    if (clear !== undefined) {
      results.paused++;
      // The judge holds the reply for at least a second: voice 300 ms after the clear is the reply again.
      const back = await waitFor(
        'the reply resuming',
        5000,
        () => call.caller.agentVoiced.some((t) => t > clear + 300),
        poll,
      ).catch(() => false);
      if (back) results.resumed++;
      else results.stopped++;
    }
    // End the reply with a real interruption (words in an interim, so it is never judged noise),
    // so the next round starts from a listening agent.
    await interrupt(call, audio.speech[round % audio.speech.length]!, 'interim');
    await agentSilent(call);
  }
  results.recorded += falseBargeInsOf(call) - recordedBefore;
}

async function runSize(size: number, audio: Audio): Promise<void> {
  const calls = await BargeInCalls.start(size, streamText(ANSWER), ANSWER.join(''));
  const byMode: Record<Mode, Samples> = { energy: samples(), interim: samples() };
  const results: Results = {
    failed: [],
    bursts: 0,
    paused: 0,
    resumed: 0,
    stopped: 0,
    recorded: 0,
  };
  try {
    const startedAt = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      calls.calls.map(async (call) => {
        try {
          await waitFor('the agent listening after its greeting', 60_000, () => call.stt.listening, poll);
          await agentSilent(call);
          // Spread the calls' first turns over two seconds, so their barge-ins do not all fall together.
          const at = performance.now() + randomInt(0, size > 1 ? 2000 : 1);
          await waitFor('the call’s start', 3000, () => performance.now() >= at, poll);
          await bargeIns(call, 2 * Math.max(1, Math.ceil(BARGEINS / size)), audio, byMode);
          await falseBursts(call, Math.max(1, Math.ceil(FALSE_BURSTS / size)), audio, results);
        } catch (error) {
          results.failed.push(error instanceof Error ? error.message : String(error));
        }
      }),
    );
    const elapsedS = (performance.now() - startedAt) / 1000;
    const used = process.cpuUsage(cpu);
    console.log(
      `-- ${size} concurrent call(s), ${elapsedS.toFixed(0)} s, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    for (const mode of ['energy', 'interim'] as const) {
      const m = byMode[mode];
      console.log(
        mode === 'energy'
          ? 'recogniser with words only after the caller stops (voice alone stops the agent and is judged):'
          : `streaming recogniser (an interim with the caller's words ${INTERIM_MS} ms after the onset):`,
      );
      console.log(line('  onset → last voiced agent packet', m.yieldMs) + '  (target ≤ 300 ms)');
      console.log(line('  onset → first pause of the agent', m.firstPauseMs));
      console.log(line('  onset → clear at the media worker', m.clearMs));
      console.log(
        `  resumed before stopping (first judged noise): ${m.resumedFirst}; agent in a pause at the onset (not counted): ${m.notTalkedOver}`,
      );
    }
    console.log(
      `calls failed: ${results.failed.length}${results.failed.length ? ` (${[...new Set(results.failed)].join('; ')})` : ''}`,
    );
    console.log(
      `false barge-ins (150 ms pink noise, 0.8–1.6 s into a reply): ${results.bursts} bursts, ${results.paused} paused the reply, ${results.resumed} resumed, ${results.stopped} stopped it; the records count ${results.recorded} falseBargeIns`,
    );
    console.log(
      `process CPU (media worker, agents, generator): ${(((used.user + used.system) / 1e6 / elapsedS) * 100).toFixed(0)}% of one core`,
    );
  } finally {
    await calls.close();
  }
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vb-bench-bargein-'));
  try {
    const audio = await renderAudio(dir);
    console.log(`uptime: ${(await exec('uptime')).stdout.trim()}`);
    for (const size of SIZES) await runSize(size, audio);
    console.log(`uptime: ${(await exec('uptime')).stdout.trim()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
