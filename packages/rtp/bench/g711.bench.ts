/**
 * Hot-path costs of the rtp package: G.711 encode/decode per sample on 20 ms frames (160 samples,
 * what a media session does per packet), and RTP header parse/write per packet. Plain
 * `performance.now()` loops with a fixed number of iterations; each figure is the median of 5 runs.
 *
 *   node --import tsx packages/rtp/bench/g711.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { pcmaDecode, pcmaEncode, pcmuDecode, pcmuEncode, parseRtp, writeRtpHeader } from '../src/index.ts';
import type { RtpPacket } from '../src/index.ts';

const FRAME_SAMPLES = 160;
const FRAMES = 64;
const CODEC_CALLS = 200_000;
const PACKET_CALLS = 2_000_000;
const RUNS = 5;

/** Deterministic speech-like test signal: two tones plus noise, full 16-bit range used. */
function testSignal(length: number): Int16Array {
  const out = new Int16Array(length);
  let seed = 12345;
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const noise = (seed / 2 ** 32 - 0.5) * 4000;
    const value = 12000 * Math.sin(i * 0.07) + 8000 * Math.sin(i * 0.31) + noise;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(value)));
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Runs `body(iterations)` RUNS times after a warm-up and returns the median ms of one run. */
function timeRuns(iterations: number, body: (iterations: number) => void): number {
  body(Math.ceil(iterations / 10));
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    body(iterations);
    runs.push(performance.now() - start);
  }
  return median(runs);
}

function benchEncode(encode: (pcm: Int16Array, out: Uint8Array) => void, frames: Int16Array[]): number {
  const out = new Uint8Array(FRAME_SAMPLES);
  let sink = 0;
  const ms = timeRuns(CODEC_CALLS, (n) => {
    for (let i = 0; i < n; i++) {
      encode(frames[i % FRAMES] as Int16Array, out);
      sink += out[i % FRAME_SAMPLES] as number;
    }
  });
  if (sink === -1) console.log(sink);
  return (ms * 1e6) / (CODEC_CALLS * FRAME_SAMPLES);
}

function benchDecode(decode: (g711: Uint8Array, out: Int16Array) => void, frames: Uint8Array[]): number {
  const out = new Int16Array(FRAME_SAMPLES);
  let sink = 0;
  const ms = timeRuns(CODEC_CALLS, (n) => {
    for (let i = 0; i < n; i++) {
      decode(frames[i % FRAMES] as Uint8Array, out);
      sink += out[i % FRAME_SAMPLES] as number;
    }
  });
  if (sink === -1) console.log(sink);
  return (ms * 1e6) / (CODEC_CALLS * FRAME_SAMPLES);
}

function makePackets(): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let i = 0; i < 16; i++) {
    const packet = new Uint8Array(12 + FRAME_SAMPLES);
    writeRtpHeader(packet, 0, {
      marker: i === 0,
      payloadType: 0,
      sequenceNumber: 1000 + i,
      timestamp: i * FRAME_SAMPLES,
      ssrc: 0x1234abcd,
    });
    packets.push(packet);
  }
  return packets;
}

function benchParse(packets: Uint8Array[]): number {
  let sink = 0;
  // The result escapes, as it does in a receiver, so V8 cannot optimise the allocation away.
  let last: RtpPacket | undefined;
  const ms = timeRuns(PACKET_CALLS, (n) => {
    for (let i = 0; i < n; i++) {
      last = parseRtp(packets[i & 15] as Uint8Array);
      if (last !== undefined) sink += last.sequenceNumber + last.payloadLength;
    }
  });
  if (sink === -1 || last === undefined) console.log(sink);
  return PACKET_CALLS / (ms / 1000);
}

function benchWrite(): number {
  const out = new Uint8Array(12 + FRAME_SAMPLES);
  const header = { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0x1234abcd };
  const ms = timeRuns(PACKET_CALLS, (n) => {
    for (let i = 0; i < n; i++) {
      header.sequenceNumber = i;
      header.timestamp = i * FRAME_SAMPLES;
      writeRtpHeader(out, 0, header);
    }
  });
  return PACKET_CALLS / (ms / 1000);
}

export async function run(): Promise<void> {
  const signal = testSignal(FRAME_SAMPLES * FRAMES);
  const pcmFrames = Array.from({ length: FRAMES }, (_, i) =>
    signal.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES),
  );
  const encodedFrames = (encode: (pcm: Int16Array, out: Uint8Array) => void): Uint8Array[] =>
    pcmFrames.map((frame) => {
      const out = new Uint8Array(FRAME_SAMPLES);
      encode(frame, out);
      return out;
    });
  const ns = (value: number): string => value.toFixed(2);
  console.log(`g711 pcmu encode: ${ns(benchEncode(pcmuEncode, pcmFrames))} ns/sample`);
  console.log(`g711 pcmu decode: ${ns(benchDecode(pcmuDecode, encodedFrames(pcmuEncode)))} ns/sample`);
  console.log(`g711 pcma encode: ${ns(benchEncode(pcmaEncode, pcmFrames))} ns/sample`);
  console.log(`g711 pcma decode: ${ns(benchDecode(pcmaDecode, encodedFrames(pcmaEncode)))} ns/sample`);
  const millions = (value: number): string => `${(value / 1e6).toFixed(2)}M`;
  console.log(`rtp parseRtp: ${millions(benchParse(makePackets()))} packets/s`);
  console.log(`rtp writeRtpHeader: ${millions(benchWrite())} packets/s`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
