/**
 * Audio channel latency: 20 ms frames (160 samples, 336 bytes with the header) published by a
 * "media" end and received by an "agent" end over Redis pub/sub, at a fixed rate for a bounded
 * number of frames. Prints p50/p99/max of publish → receive in milliseconds.
 *
 *   node --import tsx packages/channel/bench/pubsub.bench.ts
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { encodeAudioFrame } from '@voicebridge/protocol';
import { RedisAudioChannel } from '../src/index.ts';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(calls: number, framesPerCall: number): Promise<void> {
  const prefix = `vbbench:${randomBytes(4).toString('hex')}`;
  const conns = Array.from({ length: 4 }, () => new Redis({ enableAutoPipelining: false }));
  const [pubM, subM, pubA, subA] = conns as [Redis, Redis, Redis, Redis];
  const media = new RedisAudioChannel({ publisher: pubM, subscriber: subM, keyPrefix: prefix });
  const agent = new RedisAudioChannel({ publisher: pubA, subscriber: subA, keyPrefix: prefix });
  const latencies: number[] = [];
  const sentAt = new Map<string, number>();
  const total = calls * framesPerCall;
  let received = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const ends = [];
  for (let c = 0; c < calls; c++) {
    const agentEnd = agent.open(`call${c}`, 'agent', (message) => {
      const key = `${c}:${message.readUIntLE(8, 6)}`;
      const t0 = sentAt.get(key);
      if (t0 !== undefined) latencies.push(performance.now() - t0);
      if (++received === total) resolveDone();
    });
    await agentEnd.ready;
    ends.push(media.open(`call${c}`, 'media', () => undefined));
  }
  const samples = new Int16Array(160);
  const started = performance.now();
  for (let f = 0; f < framesPerCall; f++) {
    // One 20 ms tick: every call sends one frame, spread over the period like the media clock does.
    const tickStart = started + f * 20;
    for (let c = 0; c < calls; c++) {
      const key = `${c}:${f * 160}`;
      sentAt.set(key, performance.now());
      ends[c]?.send(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: f * 160, samples, filled: false }));
    }
    const wait = tickStart + 20 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  latencies.sort((a, b) => a - b);
  const rate = Math.round((calls * 1000) / 20);
  console.log(
    `channel pubsub ${calls} calls (${rate} frames/s): p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(2)} ms, lost ${total - latencies.length}/${total}`,
  );
  await media.close();
  await agent.close();
  for (const c of conns) c.disconnect();
}

export async function run(): Promise<void> {
  await measure(10, 250);
  await measure(200, 150);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
