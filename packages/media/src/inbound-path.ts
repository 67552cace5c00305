import { encodeAudioFrame } from '@voicebridge/protocol';
import { decoderFor, JitterBuffer, type G711Codec, type G711Decoder, type JitterPushResult } from '@voicebridge/rtp';

const SAMPLE_RATE_HZ = 8000;
/** 20 ms at 8 kHz: what agents get, whatever the caller's ptime (ADR 0001). */
export const INBOUND_FRAME_SAMPLES = 160;
export const INBOUND_FRAME_MS = 20;
/** A forward timestamp jump larger than this is a new timeline, not a gap to show (10 s). */
const MAX_GAP_SAMPLES = 10 * SAMPLE_RATE_HZ;

export interface InboundPathOptions {
  codec: G711Codec;
  /** Jitter buffer depth cap (ADR 0006: 60 ms by default, it adds straight to turn latency). */
  maxDepthMs: number;
  /** Receives each encoded 20 ms frame for the agent, in order. */
  emit: (message: Buffer) => void;
}

/**
 * Caller → agent: decoded G.711 goes into the jitter buffer as packets arrive; `tick()`, called once
 * per 20 ms from the worker's clock, plays one frame out. Offsets count samples since the first
 * frame and never go backwards; a concealed frame carries `filled`, and frames the buffer skipped
 * (over its cap, or a talkspurt after silence suppression) show as a jump in the offset.
 */
export class InboundPath {
  readonly jitter: JitterBuffer;
  readonly #decode: G711Decoder;
  readonly #emit: (message: Buffer) => void;
  readonly #decoded = new Int16Array(SAMPLE_RATE_HZ); // up to 1 s per packet
  /** RTP timestamp of the last frame emitted; undefined before the first. */
  #lastTimestamp: number | undefined;
  /** Offset the next frame gets when it follows the last one without a gap. */
  #nextOffset = 0;
  /** Ticks since the last frame emitted: how long a new timeline (SSRC change, restart) was silent. */
  #idleTicks = 0;

  constructor(options: InboundPathOptions) {
    this.#decode = decoderFor(options.codec);
    this.#emit = options.emit;
    this.jitter = new JitterBuffer({
      frameSamples: INBOUND_FRAME_SAMPLES,
      sampleRateHz: SAMPLE_RATE_HZ,
      maxDepthMs: options.maxDepthMs,
    });
  }

  /** One voice packet's payload `packet[offset, offset + length)`. */
  push(packet: Buffer, offset: number, length: number, seq: number, timestamp: number, ssrc: number): JitterPushResult {
    if (length > this.#decoded.length) return 'oversized';
    if (length > 0) this.#decode(packet.subarray(offset, offset + length), this.#decoded);
    // A new SSRC re-anchors the jitter buffer inside push (issue 5 item 1: it resets the buffer).
    return this.jitter.push(seq, timestamp, ssrc, this.#decoded, length);
  }

  /** Plays out at most one frame (none on underrun: the buffer holds, see JitterBuffer). */
  tick(): void {
    const frame = this.jitter.pop();
    if (!frame) {
      this.#idleTicks++;
      return;
    }
    let sampleOffset = this.#nextOffset;
    if (this.#lastTimestamp !== undefined) {
      const expected = (this.#lastTimestamp + INBOUND_FRAME_SAMPLES) >>> 0;
      const jump = (frame.timestamp - expected) | 0;
      if (jump > 0 && jump <= MAX_GAP_SAMPLES) {
        // Frames skipped on the sender's timeline: the agent sees the gap as a jump.
        sampleOffset += jump;
      } else if (jump !== 0) {
        // A new timeline (SSRC change, timestamp restart): show the time nothing was played.
        sampleOffset += Math.max(0, this.#idleTicks - 1) * INBOUND_FRAME_SAMPLES;
      }
    }
    this.#idleTicks = 0;
    this.#lastTimestamp = frame.timestamp;
    this.#nextOffset = sampleOffset + INBOUND_FRAME_SAMPLES;
    this.#emit(
      encodeAudioFrame({
        sampleRateHz: SAMPLE_RATE_HZ,
        sampleOffset,
        samples: frame.samples,
        filled: frame.filled,
      }),
    );
  }
}
