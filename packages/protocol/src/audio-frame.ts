/**
 * Binary messages on a call's audio channel. One channel per direction carries both audio and
 * control, so a mark queued after audio is seen after that audio.
 *
 * Audio frame (little-endian), 16-byte header then samples:
 *
 *   0               1               2               3
 *  +---------------+---------------+-------------------------------+
 *  | kind = 1      | flags         | sampleCount (u16)             |
 *  +---------------+---------------+-------------------------------+
 *  | sampleRateHz (u32)                                            |
 *  +---------------------------------------------------------------+
 *  | sampleOffset (u48): samples since the call's media started    |
 *  +                               +-------------------------------+
 *  |                               | jitterDepthMs (u16)           |
 *  +-------------------------------+-------------------------------+
 *  | samples: sampleCount x int16 PCM                             ...
 *
 * flags bit 0: the frame was filled in for lost packets (zeros), not heard.
 * flags bits 1-7 (agent → media): the sender's owner epoch modulo 128 (see channel-messages.ts), so
 * the media worker can drop audio from an agent that lost the call; 0 from unfenced senders.
 * The offset makes gaps explicit: a receiver can tell silence it was sent from audio it never got.
 * jitterDepthMs (caller → agent only; 0 elsewhere and from older writers): caller audio still held
 * in the media worker's jitter buffer when this frame was played out, ms — the delay it adds now.
 *
 * Control message: byte 0 = kind 2, then UTF-8 JSON (see channel-messages.ts).
 */
export const FRAME_KIND_AUDIO = 1;
export const FRAME_KIND_CONTROL = 2;
export const AUDIO_HEADER_BYTES = 16;
export const FRAME_FLAG_FILLED = 1;
/** How many distinct owner tags fit in the flags byte (bits 1-7). */
export const OWNER_TAG_MODULUS = 128;
export const MAX_FRAME_SAMPLES = 48000;

// Int16Array uses the platform's byte order; on little-endian hosts (every target) samples are
// copied as bytes instead of one call per sample.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface AudioFrame {
  sampleRateHz: number;
  sampleOffset: number;
  /** A view: valid until the buffer it came from is reused. Copy to keep. */
  samples: Int16Array;
  filled: boolean;
  /** See the header diagram; written as 0 when absent, capped at 65535. */
  jitterDepthMs?: number;
  /** Owner epoch modulo OWNER_TAG_MODULUS (agent → media); absent or 0 when unfenced. */
  ownerTag?: number;
}

/** The tag an owner epoch carries in an audio frame. */
export function ownerTagOf(epoch: number): number {
  return epoch % OWNER_TAG_MODULUS;
}

/** Encodes into a new Buffer (ioredis needs a Buffer it may hold on to until written). */
export function encodeAudioFrame(frame: AudioFrame): Buffer {
  const count = frame.samples.length;
  if (count > MAX_FRAME_SAMPLES) throw new RangeError(`frame of ${count} samples exceeds ${MAX_FRAME_SAMPLES}`);
  const out = Buffer.allocUnsafe(AUDIO_HEADER_BYTES + count * 2);
  out[0] = FRAME_KIND_AUDIO;
  out[1] = (frame.filled ? FRAME_FLAG_FILLED : 0) | (ownerTagOf(frame.ownerTag ?? 0) << 1);
  out.writeUInt16LE(count, 2);
  out.writeUInt32LE(frame.sampleRateHz, 4);
  out.writeUIntLE(frame.sampleOffset, 8, 6);
  out.writeUInt16LE(Math.min(0xffff, Math.max(0, Math.round(frame.jitterDepthMs ?? 0))), 14);
  const src = frame.samples;
  if (LITTLE_ENDIAN) Buffer.from(src.buffer, src.byteOffset, src.byteLength).copy(out, AUDIO_HEADER_BYTES);
  else for (let i = 0; i < count; i++) out.writeInt16LE(src[i] as number, AUDIO_HEADER_BYTES + i * 2);
  return out;
}

/**
 * Decodes an audio frame. The samples are copied out into a new array (a Buffer's byteOffset need not
 * be 2-aligned), unless `scratch` is given: then, on a hot path that consumes the samples at once,
 * they are a view of `buf` itself when it is 2-aligned, else a copy into `scratch` (grown by the
 * caller: a frame longer than it gets a new array) — valid only until the next decode with that
 * scratch. Returns undefined for anything that is not a well-formed audio frame.
 */
export function decodeAudioFrame(buf: Uint8Array, scratch?: Int16Array): AudioFrame | undefined {
  if (buf.length < AUDIO_HEADER_BYTES || buf[0] !== FRAME_KIND_AUDIO) return undefined;
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = view.readUInt16LE(2);
  if (view.length !== AUDIO_HEADER_BYTES + count * 2) return undefined;
  const sampleRateHz = view.readUInt32LE(4);
  if (sampleRateHz < 8000 || sampleRateHz > 48000) return undefined;
  let samples: Int16Array;
  if (LITTLE_ENDIAN && scratch !== undefined && (buf.byteOffset + AUDIO_HEADER_BYTES) % 2 === 0) {
    samples = new Int16Array(buf.buffer, buf.byteOffset + AUDIO_HEADER_BYTES, count);
  } else {
    samples = scratch !== undefined && scratch.length >= count ? scratch.subarray(0, count) : new Int16Array(count);
    if (LITTLE_ENDIAN)
      view.copy(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength), 0, AUDIO_HEADER_BYTES);
    else for (let i = 0; i < count; i++) samples[i] = view.readInt16LE(AUDIO_HEADER_BYTES + i * 2);
  }
  return {
    ownerTag: (view[1] as number) >> 1,
    sampleRateHz,
    sampleOffset: view.readUIntLE(8, 6),
    samples,
    filled: ((view[1] as number) & FRAME_FLAG_FILLED) !== 0,
    jitterDepthMs: view.readUInt16LE(14),
  };
}

export function encodeControl(message: object): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const out = Buffer.allocUnsafe(json.length + 1);
  out[0] = FRAME_KIND_CONTROL;
  json.copy(out, 1);
  return out;
}

/** Returns the parsed JSON of a control message, or undefined when it is not one. */
export function decodeControlJson(buf: Uint8Array): unknown {
  if (buf.length < 2 || buf[0] !== FRAME_KIND_CONTROL) return undefined;
  try {
    return JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 1, buf.byteLength - 1).toString('utf8'));
  } catch {
    return undefined;
  }
}
