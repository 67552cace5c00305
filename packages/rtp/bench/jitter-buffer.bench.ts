/**
 * JitterBuffer cost per 20 ms packet: one `push` (copying 160 decoded samples in) plus one `pop`
 * (copying a frame out), on a stream with 2% loss and 5% of adjacent packets swapped. Plain
 * `performance.now()` loops; the figure is the median of 5 runs.
 *
 *   node --import tsx packages/rtp/bench/jitter-buffer.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { JitterBuffer } from '../src/index.ts';

const FRAME = 160;
const PACKETS = 200_000;
const RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Arrival order of packet numbers 0…n−1 with some lost and some swapped. */
function arrivalOrder(n: number): Int32Array {
  const order: number[] = [];
  let seed = 42;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    if (random() < 0.02) continue;
    order.push(i);
    const last = order.length - 1;
    if (last > 0 && random() < 0.05)
      [order[last - 1], order[last]] = [order[last] as number, order[last - 1] as number];
  }
  return Int32Array.from(order);
}

export async function run(): Promise<void> {
  const order = arrivalOrder(PACKETS);
  const samples = Int16Array.from({ length: FRAME }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
  let sink = 0;
  const body = (): number => {
    const jb = new JitterBuffer({ frameSamples: FRAME, sampleRateHz: 8000 });
    const start = performance.now();
    for (let i = 0; i < order.length; i++) {
      const n = order[i] as number;
      jb.push(n & 0xffff, (n * FRAME) >>> 0, 0x1234, samples);
      const frame = jb.pop();
      if (frame !== undefined) sink += frame.samples[7] as number;
    }
    return performance.now() - start;
  };
  body();
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(body());
  if (sink === 0.5) console.log(sink);
  const ns = (median(runs) * 1e6) / order.length;
  console.log(`jitter buffer push + pop: ${ns.toFixed(0)} ns per 20 ms packet (${(ns / 1000).toFixed(2)} µs)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
