/**
 * `pnpm bench`: every benchmark of the workspace, one after the other, printing numbers and ratios.
 * Benchmarks measure; tests never assert on time (the machines are shared and noisy). Each one runs
 * a bounded pass here (the longest, the media capacity bench, a few minutes); the headers of the
 * files say how to run a longer one alone.
 *
 *   pnpm bench                 every benchmark
 *   pnpm bench sip agent       only the benchmarks of those packages (the word before a title's colon)
 */
import { pathToFileURL } from 'node:url';

export const BENCHES: [string, string][] = [
  ['sip: message parser on a typical INVITE', '../packages/sip/bench/parser.bench.ts'],
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
  // VB_BENCH_SIDE_CALLS (default 200,500), VB_BENCH_SIDE_ROUNDS (default 3); rtpengine when installed
  // (scripts/setup.sh bench), skipped with a line when not.
  [
    'media: side by side (our media worker, a bare Node UDP echo, rtpengine relaying and transcoding: CPU per packet)',
    '../packages/media/bench/side-by-side.bench.ts',
  ],
  // The quick pass (one voice, ten sentences); the full one ADR 0005 quotes runs alone.
  [
    'agent: offline engines (flite, pocketsphinx: start, first audio, latency, word errors)',
    '../packages/agent/bench/offline-engines.bench.ts',
  ],
  [
    'agent: keyword hit and false-hit rates of the scripted agent, spelling vs sound (synthetic questions)',
    '../packages/agent/bench/keyword-matching.bench.ts',
  ],
  [
    'agent: cloud engine adapters (first audio, CPU of 50 calls; local wire servers)',
    '../packages/agent/bench/cloud-engines.bench.ts',
  ],
  [
    'agent: OpenAI transcription adapter (server completed → final, CPU of 50 sessions; local wire server)',
    '../packages/agent/bench/openai-stt.bench.ts',
  ],
  [
    'agent: turn latency waiting for finals vs starting on a stable partial (scripted interims, local model)',
    '../packages/agent/bench/early-answer.bench.ts',
  ],
  [
    'agent: barge-in detector (CPU per 20 ms frame, onset → decision in audio; flite through G.711)',
    '../packages/agent/bench/barge-in-detector.bench.ts',
  ],
  [
    'test-calls: bridge-added latency per turn (media worker + agent connection, in process)',
    '../test-calls/bench/bridge-latency.bench.ts',
  ],
  // VB_BENCH_BOT_CALLS (comma-separated sizes, default 50,100,200), VB_BENCH_BOT_CALL_S per call.
  [
    'test-calls: websocket connector (SIPp calls, the real bridge, an echo bot in its own process: pacing, frames, clear-to-silence, CPU, heap)',
    '../test-calls/bench/bot-connector.bench.ts',
  ],
  // VB_BENCH_BARGEIN_CALLS (comma-separated sizes, default 1,100), VB_BENCH_BARGEINS per mode and size, VB_BENCH_FALSE_BURSTS.
  [
    'test-calls: barge-in time at 1 and 100 calls (caller onset → last voiced agent packet on the wire; false barge-ins)',
    '../test-calls/bench/barge-in.bench.ts',
  ],
  // VB_BENCH_RT_CALLS (comma-separated sizes, default 10,50), VB_BENCH_RT_CALL_S per call.
  [
    'test-calls: realtime model latency per hop (SIPp calls, the real bridge, a local OpenAI Realtime server: caller frame → append, delta → RTP)',
    '../test-calls/bench/realtime-latency.bench.ts',
  ],
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const packages = process.argv.slice(2);
  const chosen = BENCHES.filter(([title]) => packages.length === 0 || packages.includes(title.split(':')[0] ?? ''));
  if (chosen.length === 0) throw new Error(`no benchmark of ${packages.join(' or ')}`);
  for (const [title, path] of chosen) {
    process.stdout.write(`\n== ${title}\n`);
    const startedAt = performance.now();
    const mod = (await import(new URL(path, import.meta.url).href)) as { run(): Promise<void> };
    await mod.run();
    process.stdout.write(`(${((performance.now() - startedAt) / 1000).toFixed(1)} s)\n`);
  }
}
