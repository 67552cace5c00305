import { G711_SILENCE, encoderFor, pcmuDecode, type G711Codec } from '@voicebridge/rtp';
import type { TappedPacket } from './rtp-tap.ts';

const FRAME_BYTES = 160;

/**
 * `frames` × 20 ms of μ-law a test bot sends, each frame different from every other (a
 * pseudo-random byte stream from `seed`, never 0x7f: μ-law's negative zero comes back as 0xff), so a
 * frame played twice, skipped or replaced by silence shows on the caller's side byte for byte.
 */
export function botAudio(seed: number, frames: number): Buffer {
  const out = Buffer.alloc(frames * FRAME_BYTES);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const byte = state & 0xff;
    out[i] = byte === 0x7f ? 0x7e : byte;
  }
  return out;
}

/** What the caller's RTP should carry for each frame of `mulaw` on a call of `codec` (media re-encodes PCM). */
export function expectedPayloads(mulaw: Uint8Array, codec: G711Codec): Uint8Array[] {
  const pcm = new Int16Array(mulaw.length);
  pcmuDecode(mulaw, pcm);
  const encoded = new Uint8Array(mulaw.length);
  encoderFor(codec)(pcm, encoded);
  const frames: Uint8Array[] = [];
  for (let at = 0; at + FRAME_BYTES <= encoded.length; at += FRAME_BYTES)
    frames.push(encoded.subarray(at, at + FRAME_BYTES));
  return frames;
}

/** One call's audio stream to the caller as the tap saw it, checked against the bot's frames. */
export interface Playout {
  /** Audio packets the bridge sent on the call (telephone-events left out). */
  packets: number;
  /** Consecutive packets whose sequence numbers jump forward (a packet missing). */
  sequenceGaps: number;
  /** Consecutive packets with the same or an earlier sequence number (a slot sent twice, reordering). */
  sequenceRepeats: number;
  /** Consecutive packets whose timestamps do not advance 160 per sequence step, other than `slotsSkipped`. */
  timestampErrors: number;
  /**
   * 20 ms slots the timestamps jump over between consecutive packets (sequence contiguous): a media
   * clock that stalled past its catch-up drops those periods (ADR 0014), and the caller hears them
   * as a gap. Counted, with where they fell relative to the bot's first frame (packets).
   */
  slotsSkipped: number;
  skippedAt: number[];
  /** The bot's frames found in order from its first one, each in the next packet (stops at the first that is not). */
  framesInOrder: number;
  /** What the first packet after `framesInOrder` carried instead, when it is not the end of the stream. */
  brokenBy?: 'silence' | 'other audio';
  /** Arrival time from the packet with the bot's first frame to the one with its last in order, ms. */
  spanMs: number;
  /** The longest time between two consecutive packets of the bot's run, ms (reported, not a bound). */
  longestIntervalMs: number;
}

/** Checks the agent stream of the call whose bridge RTP port is `port` against `expected` (per-frame payloads). */
export function playoutOf(
  packets: readonly TappedPacket[],
  port: number,
  expected: readonly Uint8Array[],
  codec: G711Codec,
): Playout {
  const audioType = codec === 'PCMU' ? 0 : 8;
  const stream = packets.filter((p) => p.from === 'agent' && p.port === port && p.payloadType === audioType);
  const result: Playout = {
    packets: stream.length,
    sequenceGaps: 0,
    sequenceRepeats: 0,
    timestampErrors: 0,
    slotsSkipped: 0,
    skippedAt: [],
    framesInOrder: 0,
    spanMs: 0,
    longestIntervalMs: 0,
  };
  const first = expected[0];
  const start = first === undefined ? -1 : stream.findIndex((p) => same(p.payload, first));
  for (let i = 1; i < stream.length; i++) {
    const [a, b] = [stream[i - 1] as TappedPacket, stream[i] as TappedPacket];
    const step = ((b.sequenceNumber ?? 0) - (a.sequenceNumber ?? 0)) & 0xffff;
    if (step === 0 || step >= 0x8000) result.sequenceRepeats++;
    else if (step > 1) result.sequenceGaps++;
    const advance = ((b.timestamp ?? 0) - (a.timestamp ?? 0)) >>> 0;
    if (advance === (step * FRAME_BYTES) >>> 0) continue;
    if (step === 1 && advance % FRAME_BYTES === 0 && advance < 0x8000_0000) {
      result.slotsSkipped += advance / FRAME_BYTES - 1;
      result.skippedAt.push(i - start);
    } else result.timestampErrors++;
  }
  if (start < 0) return result;
  let k = 0;
  while (k < expected.length && start + k < stream.length && same(stream[start + k]?.payload, expected[k])) k++;
  result.framesInOrder = k;
  const breaker = stream[start + k];
  if (k < expected.length && breaker !== undefined)
    result.brokenBy = breaker.payload?.every((byte) => byte === G711_SILENCE[codec]) ? 'silence' : 'other audio';
  const run = stream.slice(start, start + k);
  result.spanMs = (run.at(-1)?.atMs ?? 0) - (run[0]?.atMs ?? 0);
  for (let i = 1; i < run.length; i++)
    result.longestIntervalMs = Math.max(
      result.longestIntervalMs,
      (run[i] as TappedPacket).atMs - (run[i - 1] as TappedPacket).atMs,
    );
  return result;
}

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}
