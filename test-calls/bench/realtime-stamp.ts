/**
 * The realtime latency bench's frame stamp: an id written into the first 12 μ-law codes of a frame,
 * so each frame can be followed through the bridge and the model's socket. Quiet on purpose: codes
 * 0xF0–0xFF decode to 0…120 of 32767 (under −48 dBFS), so a stamped caller frame is silence to the
 * agent's barge-in detector and VAD, which the bot bench's loud stamp (bench-stats.ts) would not be
 * while the model speaks. Every one of these codes maps to itself through decode → 8 kHz PCM →
 * re-encode (our G.711 tables), which is the path a caller frame takes (media decodes, the agent
 * encodes for `input_audio_buffer.append`) and a model delta takes (the agent decodes, media encodes).
 *
 * Layout: MAGIC (4 codes), then the id's 8 nibbles, high first, each as 0xF0 | nibble.
 */
export const STAMP_MAGIC = [0xf5, 0xfa, 0xf5, 0xfa] as const;
export const STAMP_BYTES = 12;
/** A quiet, never-zero fill for the rest of a frame (±64 of 32767): audio, but nothing a VAD hears. */
const FILL = [0xf8, 0x78] as const;

/** An id of `index` (a call, < 4096) and `seq` (its frame or response, < 2^20). */
export function stampId(index: number, seq: number): number {
  return ((index & 0xfff) * 0x100000 + (seq & 0xfffff)) >>> 0;
}

export function writeStamp(frame: Uint8Array, id: number, at = 0): void {
  for (let i = 0; i < 4; i++) frame[at + i] = STAMP_MAGIC[i] as number;
  for (let i = 0; i < 8; i++) frame[at + 4 + i] = 0xf0 | ((id >>> (28 - 4 * i)) & 0xf);
}

/** The id stamped at `at`, or -1 when there is none. */
export function readStamp(bytes: Uint8Array, at = 0): number {
  if (bytes.length < at + STAMP_BYTES) return -1;
  for (let i = 0; i < 4; i++) if (bytes[at + i] !== STAMP_MAGIC[i]) return -1;
  let id = 0;
  for (let i = 0; i < 8; i++) {
    const code = bytes[at + 4 + i] as number;
    if ((code & 0xf0) !== 0xf0) return -1;
    id = id * 16 + (code & 0xf);
  }
  return id;
}

/** Fills `frame` (from `from`) with the quiet pattern. */
export function fillQuiet(frame: Uint8Array, from = 0): void {
  for (let i = from; i < frame.length; i++) frame[i] = FILL[i & 1] as number;
}

/**
 * Monotonic µs (CLOCK_MONOTONIC, which every process on the machine shares): times taken in the
 * bridge's processes, the model's and the callers' compare exactly, with no wall-clock offset.
 */
export function monoMicros(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}
