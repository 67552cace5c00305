import { readdir, readFile } from 'node:fs/promises';
import type { TextToSpeech } from '../../src/tts/text-to-speech.ts';

/** G.711 μ-law encode then decode (the classic Sun/CCITT algorithm): what a phone line does to audio. */
export function muLawRoundTrip(pcm: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = muLawDecode(muLawEncode(pcm[i]!));
  return out;
}

function muLawEncode(input: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let sample = input;
  const sign = sample < 0 ? 0x80 : 0;
  if (sign) sample = -sample;
  if (sample > CLIP) sample = CLIP;
  sample += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One G.711 μ-law byte to its linear sample (the classic algorithm, independent of `@voicebridge/rtp`). */
export function muLawDecode(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

export async function synthesizeAll(
  tts: TextToSpeech,
  text: string,
  options: { voice?: string } = {},
): Promise<Int16Array> {
  const chunks: Int16Array[] = [];
  for await (const chunk of tts.synthesize(text, {
    sampleRateHz: 8000,
    voice: options.voice,
    signal: AbortSignal.timeout(30_000),
  }))
    chunks.push(chunk);
  return concat(chunks);
}

export function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function silence(ms: number): Int16Array {
  return new Int16Array((ms * 8000) / 1000);
}

/** 20 ms frames, as the media path delivers them (as fast as they are taken, not in real time). */
export async function* frames(pcm: Int16Array, samples = 160): AsyncGenerator<Int16Array> {
  for (let offset = 0; offset < pcm.length; offset += samples) yield pcm.slice(offset, offset + samples);
}

export function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const sample of pcm) sum += sample * sample;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

/** Pids of this process's live children whose command name starts with `name` (from /proc). */
export async function childPids(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'latin1');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (Number(ppid) === process.pid && comm.startsWith(name) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // gone between readdir and read
    }
  }
  return pids;
}
