import { encodeAudioFrame } from '@voicebridge/protocol';
import {
  decoderFor,
  JitterBuffer,
  type G711Codec,
  type G711Decoder,
  type JitterFrame,
  type JitterPushResult,
} from '@voicebridge/rtp';

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
 * Caller → agent: decoded G.711 goes into the jitter buffer as packets arrive, and every frame that
 * is complete and next in line goes to the agent at once (no wait for a clock tick). The buffer holds
 * frames only behind a gap, waiting for the missing packet up to its depth cap; `tick()`, called once
 * per 20 ms from the worker's clock, ages such a gap and conceals it once it waited out the cap. Offsets count samples since the first
 * frame and never go backwards; a concealed frame carries `filled`, and frames the buffer skipped
 * (over its cap, or a talkspurt after silence suppression) show as a jump in the offset.
 */
export class InboundPath {
  readonly jitter: JitterBuffer;
  #decode: G711Decoder;
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

  /** A re-INVITE/UPDATE changed the codec: packets from now on decode with the new one. */
  setCodec(codec: G711Codec): void {
    this.#decode = decoderFor(codec);
  }

  /** One voice packet's payload `packet[offset, offset + length)`; the frames it completes go out at once. */
  push(packet: Buffer, offset: number, length: number, seq: number, timestamp: number, ssrc: number): JitterPushResult {
    if (length > this.#decoded.length) return 'oversized';
    if (length > 0) this.#decode(packet, this.#decoded, offset, offset + length);
    // A new SSRC re-anchors the jitter buffer inside push: a new stream's sequence numbers and
    // timestamps say nothing about the old one's, so the buffer starts again.
    const result = this.jitter.push(seq, timestamp, ssrc, this.#decoded, length);
    if (result === 'accepted') this.#drain();
    return result;
  }

  /** Once per 20 ms from the worker's clock: ages an outstanding gap, conceals it once it waited out the cap. */
  tick(): void {
    this.#idleTicks++;
    this.jitter.age();
    this.#drain();
  }

  #drain(): void {
    for (let frame = this.jitter.popReady(); frame; frame = this.jitter.popReady()) this.#emitFrame(frame);
  }

  #emitFrame(frame: JitterFrame): void {
    let sampleOffset = this.#nextOffset;
    if (this.#lastTimestamp !== undefined) {
      const expected = (this.#lastTimestamp + INBOUND_FRAME_SAMPLES) >>> 0;
      const jump = (frame.timestamp - expected) | 0;
      if (jump > 0 && jump <= MAX_GAP_SAMPLES) {
        // Frames skipped on the sender's timeline: the agent sees the gap as a jump.
        sampleOffset += jump;
      } else if (jump !== 0) {
        // A new timeline (SSRC change, timestamp restart): show the time nothing was played. Frames
        // go out on arrival, so one tick passes between frames of a steady stream: it is not silence.
        sampleOffset += Math.max(0, this.#idleTicks - 2) * INBOUND_FRAME_SAMPLES;
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
        jitterDepthMs: this.jitter.depthMs,
      }),
    );
  }
}
