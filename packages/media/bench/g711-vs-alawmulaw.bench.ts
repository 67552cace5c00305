/**
 * Our G.711 tables against the npm package `alawmulaw` (the acceptable package
 * alternative, DESIGN.md) in the same run, as samples per second and a ratio. Both are called the
 * way a media session would: one 20 ms frame (160 samples) per call. alawmulaw's frame API returns
 * a new typed array per call; ours writes into a reused buffer — that difference is part of what is
 * measured, since it is what each costs per packet. Median of 5 runs after a warm-up.
 *
 *   node --import tsx packages/media/bench/g711-vs-alawmulaw.bench.ts
 */
import { pathToFileURL } from 'node:url';
import * as alawmulawModule from 'alawmulaw';
import { pcmaDecode, pcmaEncode, pcmuDecode, pcmuEncode } from '@voicebridge/rtp';

type Codec = typeof alawmulawModule.alaw;
// The package is CommonJS: under Node's ESM loader its namespace sits on `default`.
const lib = ((alawmulawModule as unknown as { default?: typeof alawmulawModule }).default ?? alawmulawModule) as {
  alaw: Codec;
  mulaw: Codec;
};

const FRAME = 160;
const FRAMES = 64;
const CALLS = 100_000;
const RUNS = 5;

function signal(): Int16Array[] {
  let seed = 7;
  return Array.from({ length: FRAMES }, (_, f) =>
    Int16Array.from({ length: FRAME }, (_, i) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return Math.max(
        -32768,
        Math.min(32767, Math.round(12000 * Math.sin((f * FRAME + i) * 0.07) + (seed / 2 ** 32 - 0.5) * 6000)),
      );
    }),
  );
}

function samplesPerSecond(body: (n: number) => number): number {
  body(CALLS / 10);
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    const sink = body(CALLS);
    const ms = performance.now() - start;
    if (sink === 0.5) console.log(sink);
    runs.push((CALLS * FRAME) / (ms / 1000));
  }
  return runs.sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
}

export async function run(): Promise<void> {
  const pcm = signal();
  const rows: [string, number, number][] = [];
  for (const [law, encode, decode, theirs] of [
    ['μ-law', pcmuEncode, pcmuDecode, lib.mulaw],
    ['A-law', pcmaEncode, pcmaDecode, lib.alaw],
  ] as const) {
    const encoded = pcm.map((frame) => theirs.encode(frame));
    const out = new Uint8Array(FRAME);
    const back = new Int16Array(FRAME);
    const oursEncode = samplesPerSecond((n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) {
        encode(pcm[i % FRAMES] as Int16Array, out);
        sink += out[i % FRAME] as number;
      }
      return sink;
    });
    const theirsEncode = samplesPerSecond((n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += theirs.encode(pcm[i % FRAMES] as Int16Array)[i % FRAME] as number;
      return sink;
    });
    const oursDecode = samplesPerSecond((n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) {
        decode(encoded[i % FRAMES] as Uint8Array, back);
        sink += back[i % FRAME] as number;
      }
      return sink;
    });
    const theirsDecode = samplesPerSecond((n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += theirs.decode(encoded[i % FRAMES] as Uint8Array)[i % FRAME] as number;
      return sink;
    });
    rows.push([`${law} encode`, oursEncode, theirsEncode], [`${law} decode`, oursDecode, theirsDecode]);
  }
  console.log('G.711 on 160-sample frames, samples/s (median of 5), ours vs alawmulaw 6.0.0:');
  for (const [name, ours, theirs] of rows) {
    console.log(
      `  ${name.padEnd(14)} ours ${(ours / 1e6).toFixed(1).padStart(7)} M/s   alawmulaw ${(theirs / 1e6).toFixed(1).padStart(7)} M/s   ratio ${(ours / theirs).toFixed(2)}×`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
