/**
 * The bridge's own cost of the cloud engine adapters, against the local wire servers of the tests
 * (zero delay, on loopback, in this process), never a provider's:
 * 1. reply text → first audio byte through each TTS adapter on an open socket (200 replies, p50/p99);
 *    for OpenAI speech (HTTP) a request per reply on a kept-alive connection, its 24 kHz body
 *    resampled to 8 kHz, so its figure includes the resampler's work on the first chunk;
 * 2. CPU of 50 concurrent calls, each streaming caller audio to an STT adapter (20 ms frames, paced)
 *    and getting a reply through a TTS adapter every 2 s, over VB_BENCH_SECONDS (default 6), per
 *    adapter (each TTS with Deepgram STT, AssemblyAI STT with ElevenLabs).
 * The servers run in this process, so the CPU figure is an upper bound on the adapters' own.
 *
 *   node --import tsx packages/agent/bench/cloud-engines.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { AssemblyAiStt } from '../src/engines/assemblyai-stt.ts';
import { CartesiaTts } from '../src/engines/cartesia-tts.ts';
import type { CloudStt, CloudTts } from '../src/engines/cloud-engines.ts';
import { DeepgramAuraTts } from '../src/engines/deepgram-aura-tts.ts';
import { DeepgramStt } from '../src/engines/deepgram-stt.ts';
import { ElevenLabsTts } from '../src/engines/elevenlabs-tts.ts';
import { OpenAiTts } from '../src/engines/openai-tts.ts';
import { AsyncQueue } from '../src/async-queue.ts';
import { AssemblyAiWireServer, turn } from '../test/engines/assemblyai-wire-server.ts';
import { AuraWireServer } from '../test/engines/aura-wire-server.ts';
import { CartesiaWireServer } from '../test/engines/cartesia-wire-server.ts';
import { DeepgramWireServer, results } from '../test/engines/deepgram-wire-server.ts';
import { ElevenLabsWireServer } from '../test/engines/elevenlabs-wire-server.ts';
import { OpenAiSpeechWireServer } from '../test/engines/openai-speech-wire-server.ts';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function firstAudio(name: string, tts: CloudTts): Promise<void> {
  await tts.prepare(AbortSignal.timeout(5000));
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    let first = true;
    for await (const _chunk of tts.synthesize(`Reply number ${i}, a short clause.`, {
      sampleRateHz: 8000,
      signal: AbortSignal.timeout(5000),
    })) {
      if (first) times.push(performance.now() - started);
      first = false;
    }
  }
  await tts.close();
  process.stdout.write(
    `${name} adapter, reply text → first audio (local server, 0 delay): p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms over ${times.length}\n`,
  );
}

async function cpuPerCall(
  name: string,
  makeStt: () => CloudStt,
  makeTts: () => CloudTts,
  calls: number,
  seconds: number,
): Promise<void> {
  const engines = Array.from({ length: calls }, () => ({
    stt: makeStt(),
    tts: makeTts(),
    audio: new AsyncQueue<Int16Array>(1000),
  }));
  await Promise.all(
    engines.flatMap((e) => [e.stt.prepare(AbortSignal.timeout(10_000)), e.tts.prepare(AbortSignal.timeout(10_000))]),
  );
  const frame = new Int16Array(160).fill(500);
  const cpu = process.cpuUsage();
  const wall = performance.now();
  let transcripts = 0;
  const listening = engines.map(async (e) => {
    for await (const t of e.stt.transcribe(e.audio, { sampleRateHz: 8000, signal: AbortSignal.timeout(60_000) }))
      if (t.final) transcripts++;
  });
  let ticks = 0;
  let replies = 0;
  // Every reply is awaited before the figures are taken: an HTTP adapter's last batch may still be streaming.
  const replying: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      ticks++;
      for (const e of engines) e.audio.push(frame);
      if (ticks % 100 === 0)
        for (const e of engines)
          replying.push(
            (async () => {
              for await (const _c of e.tts.synthesize('Sure, let me check that for you.', {
                sampleRateHz: 8000,
                signal: AbortSignal.timeout(10_000),
              }));
              replies++;
            })(),
          );
      if (ticks >= seconds * 50) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  for (const e of engines) e.audio.close();
  await Promise.all(listening);
  const failed = (await Promise.allSettled(replying)).filter((r) => r.status === 'rejected').length;
  const used = process.cpuUsage(cpu);
  const wallS = (performance.now() - wall) / 1000;
  const cpuShare = (used.user + used.system) / 1e6 / wallS;
  await Promise.all(engines.flatMap((e) => [e.stt.close(), e.tts.close()]));
  process.stdout.write(
    `${name}: ${calls} calls, ${seconds} s: ${(cpuShare * 100).toFixed(1)}% of a core in all (adapters + both local servers), ${((cpuShare * 100) / calls).toFixed(3)}% per call; ${transcripts} turns heard, ${replies} replies spoken${failed > 0 ? `, ${failed} failed` : ''}\n`,
  );
}

export async function run(): Promise<void> {
  const deepgram = await DeepgramWireServer.start();
  const assemblyai = await AssemblyAiWireServer.start();
  const elevenlabs = await ElevenLabsWireServer.start();
  const cartesia = await CartesiaWireServer.start();
  const aura = await AuraWireServer.start();
  const openai = await OpenAiSpeechWireServer.start();
  // One HTTP client for the worker, as main.ts shares it among calls.
  const http = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });
  const seconds = Number(process.env['VB_BENCH_SECONDS'] ?? 6);
  const turns = Array.from({ length: seconds }, (_, i) => i);
  deepgram.script = {
    frames: turns.map((i) => ({
      atAudioMs: (i + 1) * 1000,
      frame: results(`words of second ${i}`, { isFinal: true, speechFinal: true }),
    })),
  };
  assemblyai.script = {
    frames: turns.map((i) => ({
      atAudioMs: (i + 1) * 1000,
      frame: turn(`words of second ${i}`, { order: i, endOfTurn: true }),
    })),
  };
  const tts = {
    elevenlabs: () => new ElevenLabsTts({ url: elevenlabs.origin, apiKey: elevenlabs.key, keyName: 'bench' }),
    cartesia: () => new CartesiaTts({ url: cartesia.origin, apiKey: cartesia.key, keyName: 'bench' }),
    'deepgram aura': () => new DeepgramAuraTts({ url: aura.url, apiKey: aura.key, keyName: 'bench' }),
    openai: () => new OpenAiTts({ url: openai.origin, apiKey: openai.key, keyName: 'bench', http }),
  };
  const deepgramStt = (): CloudStt => new DeepgramStt({ url: deepgram.url, apiKey: deepgram.key, keyName: 'bench' });
  try {
    for (const [name, make] of Object.entries(tts)) await firstAudio(name, make());
    for (const [name, make] of Object.entries(tts))
      await cpuPerCall(`deepgram stt + ${name} tts`, deepgramStt, make, 50, seconds);
    await cpuPerCall(
      'assemblyai stt + elevenlabs tts',
      () => new AssemblyAiStt({ url: assemblyai.url, apiKey: assemblyai.key, keyName: 'bench' }),
      tts.elevenlabs,
      50,
      seconds,
    );
  } finally {
    await Promise.all([deepgram, assemblyai, elevenlabs, cartesia, aura, openai].map((s) => s.close()));
    http.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
