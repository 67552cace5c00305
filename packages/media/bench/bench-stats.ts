import { readFileSync } from 'node:fs';
import { AUDIO_HEADER_BYTES } from '@voicebridge/protocol';
import { pcmuDecode, pcmuEncode } from '@voicebridge/rtp';

/** p-th percentile (0–100) of values sorted ascending; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

const CHUNK = 65536;

/**
 * Samples recorded inside a measured process without disturbing it: fixed chunks of Float64Array
 * (outside the JS heap, never copied as they grow), where a growing number[] of hundreds of
 * thousands of entries was copied on every growth and kept in the old generation.
 */
export class SampleBuffer {
  #chunks: Float64Array[] = [];
  #used = CHUNK;

  push(value: number): void {
    if (this.#used === CHUNK) {
      this.#chunks.push(new Float64Array(CHUNK));
      this.#used = 0;
    }
    (this.#chunks[this.#chunks.length - 1] as Float64Array)[this.#used++] = value;
  }

  get length(): number {
    return this.#chunks.length === 0 ? 0 : (this.#chunks.length - 1) * CHUNK + this.#used;
  }

  toFloat64Array(): Float64Array {
    const out = new Float64Array(this.length);
    this.#chunks.forEach((chunk, i) =>
      out.set(i === this.#chunks.length - 1 ? chunk.subarray(0, this.#used) : chunk, i * CHUNK),
    );
    return out;
  }
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : NaN,
  };
}

export function fmt(s: Summary | undefined, digits = 2): string {
  if (!s || s.count === 0) return 'n/a';
  return `p50 ${s.p50.toFixed(digits)} / p99 ${s.p99.toFixed(digits)} / max ${s.max.toFixed(digits)} ms`;
}

/** Wall-clock µs with sub-ms resolution, comparable across processes on one machine (±~1 ms). */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * A send time stamped into a G.711 μ-law payload so it survives decode → 8 kHz PCM → re-encode
 * (these codes map to themselves through our tables): a magic code, then 8 nibbles of the low 32
 * bits of epochMicros().
 */
export const STAMP_MAGIC = 0x3c;
/** Marks an agent's tone frame in the clear-to-silence run. */
export const TONE_MAGIC = 0x3d;
const NIBBLE_BASE = 0x20;

export function writeStamp(payload: Uint8Array, micros: number): void {
  payload[0] = STAMP_MAGIC;
  const low = micros >>> 0;
  for (let i = 0; i < 8; i++) payload[1 + i] = NIBBLE_BASE | ((low >>> (28 - 4 * i)) & 0xf);
}

/** The stamp's µs (low 32 bits) or -1 when the payload carries none. */
export function readStamp(payload: Uint8Array): number {
  if (payload[0] !== STAMP_MAGIC) return -1;
  let low = 0;
  for (let i = 0; i < 8; i++) {
    const code = payload[1 + i] as number;
    if ((code & 0xf0) !== NIBBLE_BASE) return -1;
    low = (low << 4) | (code & 0xf);
  }
  return low >>> 0;
}

const stampPcm = new Int16Array(9);
const stampCodes = new Uint8Array(9);

/**
 * The stamp carried by an encoded audio frame's first samples (see writeStamp), or -1: read straight
 * from the message bytes, so measuring costs the measured process next to nothing.
 */
export function readFrameStamp(message: Uint8Array): number {
  if (message.length < AUDIO_HEADER_BYTES + 18) return -1;
  for (let i = 0; i < 9; i++) {
    const at = AUDIO_HEADER_BYTES + 2 * i;
    stampPcm[i] = (((message[at] as number) | ((message[at + 1] as number) << 8)) << 16) >> 16;
  }
  pcmuEncode(stampPcm, stampCodes);
  return readStamp(stampCodes);
}

/** µs since a stamp, modulo 2^32. */
export function sinceStampMs(stamp: number, nowMicros: number): number {
  return (((nowMicros >>> 0) - stamp) >>> 0) / 1000;
}

/** The PCM a μ-law code decodes to (to build agent frames that re-encode to known codes). */
export function pcmOfCode(code: number): number {
  const out = new Int16Array(1);
  pcmuDecode(Uint8Array.of(code), out);
  return out[0] as number;
}

/** CPU seconds (user + system) and RSS MiB of a process, from /proc. */
export function processUsage(pid: number): { cpuS: number; rssMiB: number; runDelayMs: number; preempted: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    // The main thread's time runnable but waiting for a CPU (schedstat field 2, ns), and how often
    // it was switched out while runnable: a busy machine's share of a pacing tail.
    const runDelayNs = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]);
    const preempted = Number(
      /nonvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))?.[1],
    );
    return { cpuS: ticks / 100, rssMiB: Number(rss ?? 0) / 1024, runDelayMs: runDelayNs / 1e6, preempted };
  } catch {
    return { cpuS: NaN, rssMiB: NaN, runDelayMs: NaN, preempted: NaN };
  }
}

/** Sum of the kernel's per-socket receive drop counters (/proc/net/udp `drops`) over local ports. */
export function udpDrops(ports: (port: number) => boolean): number {
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local) continue;
      const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (ports(port)) drops += Number(cols[cols.length - 1] ?? 0);
    }
  }
  return drops;
}
