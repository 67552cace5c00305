/**
 * Resampler cost: µs per 20 ms frame of 8 kHz output (160 samples) for each TTS rate, fed 20 ms
 * chunks of speech-like input as a TTS stream would be, into one reused output buffer. DESIGN.md
 * measured 18–36 µs per frame for plain-JS resampling; this is the figure ADR 0006 quotes. Plain
 * `performance.now()` loops; each figure is the median of 5 runs.
 *
 *   node --import tsx packages/rtp/bench/resampler.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { Resampler } from '../src/index.ts';

const RATES = [16000, 22050, 24000, 44100, 48000];
const FRAMES = 5000;
const RUNS = 5;

function testSignal(length: number, rateHz: number): Int16Array {
  const out = new Int16Array(length);
  let seed = 12345;
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const noise = (seed / 2 ** 32 - 0.5) * 4000;
    const t = i / rateHz;
    const value = 12000 * Math.sin(2 * Math.PI * 220 * t) + 8000 * Math.sin(2 * Math.PI * 1900 * t) + noise;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(value)));
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** µs per 160-sample output frame at `rateHz`. */
function benchRate(rateHz: number): { usPerFrame: number; taps: number } {
  const chunkSamples = Math.round(rateHz / 50);
  const signal = testSignal(chunkSamples * 50, rateHz);
  const chunks = Array.from({ length: 50 }, (_, i) => signal.subarray(i * chunkSamples, (i + 1) * chunkSamples));
  const resampler = new Resampler({ inputRateHz: rateHz });
  const out = new Int16Array(resampler.maxOutputFor(chunkSamples));
  let produced = 0;
  const body = (frames: number): void => {
    for (let i = 0; i < frames; i++) produced += resampler.process(chunks[i % 50] as Int16Array, out);
  };
  body(FRAMES / 5);
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    produced = 0;
    const start = performance.now();
    body(FRAMES);
    const ms = performance.now() - start;
    runs.push((ms * 1000) / (produced / 160));
  }
  return { usPerFrame: median(runs), taps: resampler.tapsPerPhase };
}

export async function run(): Promise<void> {
  for (const rate of RATES) {
    const { usPerFrame, taps } = benchRate(rate);
    console.log(`resample ${rate} → 8000 Hz (${taps} taps/phase): ${usPerFrame.toFixed(2)} µs per 20 ms frame`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
