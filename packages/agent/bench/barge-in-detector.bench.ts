/**
 * The barge-in detector alone (ADR 0023), on real flite speech through G.711: its CPU per call (µs
 * per 20 ms caller frame, the energy VAD included) and its decision latency in audio time — from the
 * start of the caller's first voiced frame (≥ −45 dBFS) to the end of the frame on which it fired.
 * Four voices at phone level (−26 dB active level), each after a second of line noise at about
 * −64 dBFS, the agent speaking all along. The barge-in time on the wire, through the media worker
 * and the agents at 1 and 100 calls, is `test-calls/bench/barge-in.bench.ts`.
 *
 *   node --import tsx packages/agent/bench/barge-in-detector.bench.ts
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { pcmuDecode, pcmuEncode } from '@voicebridge/rtp';
import { BargeInDetector } from '../src/turns/barge-in-detector.ts';
import { frameLevelDb } from '../src/turns/energy-vad.ts';

const exec = promisify(execFile);
const VOICES = ['rms', 'slt', 'awb', 'kal'];
const SENTENCES = ['Sorry, wait, I have a question about that.', 'Hold on, that is not what I asked.', 'No, no, stop.'];
const FRAME = 160;
/** Passes over all utterances for the CPU figure: about 100,000 frames. */
const CPU_PASSES = 40;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** flite's 8 kHz speech as 20 ms frames through μ-law, at `activeDb` active level (mean power of frames within 30 dB of the loudest). */
async function speechFrames(dir: string, voice: string, text: string, activeDb: number): Promise<Int16Array[]> {
  const raw = join(dir, 'raw.wav');
  const pcmPath = join(dir, 'speech.raw');
  await exec('flite', ['-voice', voice, '-t', text, '-o', raw]);
  await exec('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed', '-t', 'raw', pcmPath]);
  const bytes = await readFile(pcmPath);
  const pcm = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
  const frames: Int16Array[] = [];
  for (let at = 0; at + FRAME <= pcm.length; at += FRAME) frames.push(pcm.slice(at, at + FRAME));
  const levels = frames.map(frameLevelDb).filter((l) => l > -Infinity);
  const top = Math.max(...levels);
  const active = levels.filter((l) => l > top - 30);
  const level = 10 * Math.log10(active.reduce((sum, l) => sum + 10 ** (l / 10), 0) / active.length);
  const gain = 10 ** ((activeDb - level) / 20);
  const ulaw = Buffer.alloc(FRAME);
  return frames.map((frame) => {
    const out = frame.map((s) => Math.max(-32768, Math.min(32767, Math.round(s * gain))));
    pcmuEncode(out, ulaw);
    pcmuDecode(ulaw, out);
    return out;
  });
}

/** A second of line noise at about −64 dBFS (a quiet line, never digital silence). */
function lineNoise(seed: number): Int16Array[] {
  let state = seed;
  return Array.from({ length: 50 }, () =>
    Int16Array.from({ length: FRAME }, () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return (state % 41) - 20;
    }),
  );
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vb-bench-detector-'));
  try {
    const utterances: Array<{ voice: string; frames: Int16Array[] }> = [];
    for (const voice of VOICES)
      for (const [i, text] of SENTENCES.entries())
        utterances.push({ voice, frames: [...lineNoise(i + 1), ...(await speechFrames(dir, voice, text, -26))] });

    // Decision latency, in audio: a fresh detector per utterance, as a new reply arms it.
    const decisions = new Map<string, number[]>();
    let missed = 0;
    for (const { voice, frames } of utterances) {
      const detector = new BargeInDetector();
      let firedAt = -1;
      let at = 0;
      detector.speaking(() => (firedAt = at));
      for (; at < frames.length && firedAt < 0; at++) detector.onCallerFrame(frames[at]!);
      const onset = frames.findIndex((f) => frameLevelDb(f) >= -45);
      if (firedAt < 0) missed++;
      else decisions.set(voice, [...(decisions.get(voice) ?? []), (firedAt - onset + 1) * 20]);
    }
    const all = [...decisions.values()].flat().sort((a, b) => a - b);
    for (const [voice, ms] of decisions)
      console.log(`decision ${voice.padEnd(4)} onset → fired: ${ms.join(', ')} ms of audio`);
    console.log(
      `decision, all voices: p50 ${percentile(all, 50)} ms, max ${all.at(-1)} ms of audio (n=${all.length}, never fired: ${missed})`,
    );

    // CPU: every frame through one detector, re-armed whenever it fires (a call's worth of replies).
    const detector = new BargeInDetector();
    const arm = (): void => detector.speaking(arm);
    arm();
    let frames = 0;
    const cpu = process.cpuUsage();
    const startedAt = performance.now();
    for (let pass = 0; pass < CPU_PASSES; pass++)
      for (const utterance of utterances)
        for (const frame of utterance.frames) {
          detector.onCallerFrame(frame);
          frames++;
        }
    const wallUs = (performance.now() - startedAt) * 1000;
    const used = process.cpuUsage(cpu);
    const perFrameUs = (used.user + used.system) / frames;
    console.log(
      `CPU per call: ${perFrameUs.toFixed(2)} µs per 20 ms frame (wall ${(wallUs / frames).toFixed(2)} µs; ${frames} frames), ${((perFrameUs * 50) / 1e4).toFixed(4)}% of a core per call`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
