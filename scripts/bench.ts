/**
 * `pnpm bench`: every benchmark of the workspace, one after the other, printing numbers and ratios.
 * Benchmarks measure; tests never assert on time (the machines are shared and noisy).
 */
const benches: [string, string][] = [
  ['rtp: G.711 and RTP header', '../packages/rtp/bench/g711.bench.ts'],
  ['rtp: resampler to 8 kHz', '../packages/rtp/bench/resampler.bench.ts'],
  ['rtp: jitter buffer', '../packages/rtp/bench/jitter-buffer.bench.ts'],
  ['rtp: SRTP/SRTCP protect and unprotect', '../packages/rtp/bench/srtp.bench.ts'],
  ['channel: audio frames over Redis pub/sub', '../packages/channel/bench/pubsub.bench.ts'],
  ['media: G.711 against alawmulaw', '../packages/media/bench/g711-vs-alawmulaw.bench.ts'],
  // VB_BENCH_MEDIA_CALLS / VB_BENCH_AGENT_CALLS (comma-separated sizes), VB_BENCH_SECONDS per size.
  [
    'media: capacity (media only, through the agent channel, clear-to-silence)',
    '../packages/media/bench/capacity.bench.ts',
  ],
  [
    'bridge-added latency per turn (media worker + agent connection, in process)',
    '../test-calls/bench/bridge-latency.bench.ts',
  ],
];

for (const [title, path] of benches) {
  process.stdout.write(`\n== ${title}\n`);
  const mod = (await import(new URL(path, import.meta.url).href)) as { run(): Promise<void> };
  await mod.run();
}
