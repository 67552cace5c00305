/**
 * Inbound jitter buffer for the AI leg: decoded packets go in as they arrive (any ptime, any order),
 * fixed frames come out once per tick of the caller's clock.
 *
 * Positions are RTP timestamps, never sequence numbers: a frame is "the `frameSamples` samples from
 * timestamp t", so packets of 10, 20 or 30 ms fill the same frames, and a duplicate or overlapping
 * packet writes only the samples still missing. Timestamps are compared as signed 32-bit distances
 * from the playout point (RFC 3550 §5.1: the timestamp "wraps around"), so the 2^32 wrap needs no
 * special case. Sequence numbers serve one purpose, RFC 3550 §5.1 ("The sequence number increments
 * by one for each RTP data packet sent, and may be used by the receiver to detect packet loss and to
 * restore packet sequence"): a packet whose sequence number is newer than any seen (16-bit serial
 * arithmetic, so the wrap is seamless) but whose timestamp lies behind the playout point means the
 * sender restarted its timestamp line, so the buffer re-anchors instead of calling it late.
 *
 * Playout, per `pop()`:
 *   - nothing buffered at or after the playout point: `undefined`, and the playout point holds. A
 *     stalled network or a slow sender clock thereby adds depth (the next packet is still on time)
 *     instead of turning every jittered packet into a loss;
 *   - the frame is complete: it is returned;
 *   - it is incomplete but at least `lossAfterMs` of later audio has arrived: its packet is declared
 *     lost, the missing samples are zeros and the frame is flagged `filled`;
 *   - otherwise `undefined` (the missing packet may just be overtaken: wait).
 *
 * Depth (buffered audio from the playout point to the newest sample) is capped at `maxDepthMs`,
 * default 60 ms, because every millisecond of it adds straight to the agent's turn latency:
 * a packet that would exceed it drops the oldest frames, and a packet so far ahead that more than
 * the whole window would go re-anchors the playout point on it. Depth that has not been needed for `shrinkAfterFrames` pops (the
 * buffer never ran down to one frame) is trimmed by one frame, so a burst of jitter does not leave a
 * permanent extra delay.
 *
 * `popReady()`/`age()` are the arrival-driven alternative to `pop()` (no fixed playout clock, see
 * there); use one or the other on a buffer.
 *
 * No allocation after construction: samples are copied into a ring; `pop()` returns one reused
 * result object and frame buffer, valid until the next `pop()`.
 */

export interface JitterBufferOptions {
  /** Samples per output frame, e.g. 160 for 20 ms at 8 kHz. */
  frameSamples: number;
  sampleRateHz: number;
  /** Most audio held, default 60 ms; rounded up to whole frames. */
  maxDepthMs?: number;
  /** Audio that must arrive after a missing frame before it is concealed; default one frame. */
  lossAfterMs?: number;
  /** Pops with at least one spare frame buffered before one frame is trimmed; default 50 (1 s). */
  shrinkAfterFrames?: number;
}

export type JitterPushResult = 'accepted' | 'duplicate' | 'late' | 'oversized' | 'empty';

export interface JitterFrame {
  /** `frameSamples` samples; the buffer is reused by the next `pop()`. */
  readonly samples: Int16Array;
  /** Some or all samples were lost and are zeros. */
  filled: boolean;
  /** RTP timestamp of the first sample (mod 2^32). */
  timestamp: number;
}

export interface JitterBufferStats {
  packetsAccepted: number;
  duplicates: number;
  late: number;
  oversized: number;
  framesPlayed: number;
  framesFilled: number;
  /** Frames dropped unplayed: over the depth cap, trimmed, or skipped by a jump ahead. */
  framesDropped: number;
  /** `pop()` calls that returned undefined after playout had started; with `popReady()`, frame times a gap waited (`age()`). */
  underruns: number;
  /** Timestamp discontinuities the buffer re-anchored on (jump ahead or restart behind). */
  resyncs: number;
  ssrcChanges: number;
}

export class JitterBuffer {
  readonly frameSamples: number;
  readonly sampleRateHz: number;
  readonly capacitySamples: number;
  readonly stats: JitterBufferStats = {
    packetsAccepted: 0,
    duplicates: 0,
    late: 0,
    oversized: 0,
    framesPlayed: 0,
    framesFilled: 0,
    framesDropped: 0,
    underruns: 0,
    resyncs: 0,
    ssrcChanges: 0,
  };
  readonly #lossAfterSamples: number;
  readonly #shrinkAfterFrames: number;
  readonly #ring: Int16Array;
  /** 1 where the ring sample at that index was received. */
  readonly #present: Uint8Array;
  readonly #frame: JitterFrame;
  #started = false;
  #ssrc = 0;
  #highestSeq = 0;
  /** RTP timestamp of the playout point, and its ring index (always a frame boundary). */
  #playoutTimestamp = 0;
  #playoutIndex = 0;
  /** Samples from the playout point to the end of the newest received sample; 0 when empty. */
  #span = 0;
  #maxSpan = 0;
  #spareRun = 0;
  /** How long (in samples of frame time, see `age()`) the frame at the playout point has been incomplete. */
  #waitedSamples = 0;

  constructor(options: JitterBufferOptions) {
    const { frameSamples, sampleRateHz } = options;
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    }
    if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) {
      throw new RangeError(`sampleRateHz must be a positive integer, got ${sampleRateHz}`);
    }
    const maxDepthMs = options.maxDepthMs ?? 60;
    const lossAfterMs = options.lossAfterMs ?? (frameSamples * 1000) / sampleRateHz;
    const shrinkAfterFrames = options.shrinkAfterFrames ?? 50;
    if (!(maxDepthMs > 0)) throw new RangeError(`maxDepthMs must be > 0, got ${maxDepthMs}`);
    if (!(lossAfterMs >= 0)) throw new RangeError(`lossAfterMs must be ≥ 0, got ${lossAfterMs}`);
    if (!Number.isInteger(shrinkAfterFrames) || shrinkAfterFrames < 1) {
      throw new RangeError(`shrinkAfterFrames must be an integer ≥ 1, got ${shrinkAfterFrames}`);
    }
    this.frameSamples = frameSamples;
    this.sampleRateHz = sampleRateHz;
    const frames = Math.max(1, Math.ceil((maxDepthMs * sampleRateHz) / 1000 / frameSamples));
    this.capacitySamples = frames * frameSamples;
    this.#lossAfterSamples = Math.round((lossAfterMs * sampleRateHz) / 1000);
    this.#shrinkAfterFrames = shrinkAfterFrames;
    this.#ring = new Int16Array(this.capacitySamples);
    this.#present = new Uint8Array(this.capacitySamples);
    this.#frame = { samples: new Int16Array(frameSamples), filled: false, timestamp: 0 };
  }

  /** Audio buffered from the playout point to the newest received sample. */
  get depthMs(): number {
    return (this.#span * 1000) / this.sampleRateHz;
  }

  /** Largest depth since construction or the last `takeMaxDepthMs()` (per turn, for the record). */
  get maxDepthMs(): number {
    return (this.#maxSpan * 1000) / this.sampleRateHz;
  }

  takeMaxDepthMs(): number {
    const value = this.maxDepthMs;
    this.#maxSpan = this.#span;
    return value;
  }

  /**
   * Copies `samples[0, length)` (decoded PCM of one packet) in at its timestamp. The caller decodes
   * into a scratch buffer it reuses; nothing here keeps a reference to it.
   */
  push(seq: number, timestamp: number, ssrc: number, samples: Int16Array, length = samples.length): JitterPushResult {
    seq &= 0xffff;
    timestamp >>>= 0;
    ssrc >>>= 0;
    // A padding-only packet carries no audio: it must not move the depth or anchor a stream.
    if (length <= 0) return 'empty';
    if (length > this.capacitySamples || length > samples.length) {
      this.stats.oversized++;
      return 'oversized';
    }
    if (!this.#started || ssrc !== this.#ssrc) {
      if (this.#started) this.stats.ssrcChanges++;
      this.#anchor(ssrc, seq, timestamp);
    }
    const seqAhead = ((seq - this.#highestSeq) & 0xffff) !== 0 && ((seq - this.#highestSeq) & 0xffff) < 0x8000;
    let offset = (timestamp - this.#playoutTimestamp) | 0;
    if (offset < 0) {
      if (!seqAhead) {
        this.stats.late++;
        return 'late';
      }
      // Newest sequence number, timestamp behind playout: the sender restarted its timeline.
      this.stats.resyncs++;
      this.#anchor(ssrc, seq, timestamp);
      offset = 0;
    } else if (offset + length > 2 * this.capacitySamples) {
      // Making room would drop more than the whole window (talkspurt after silence, or a jump):
      // nothing buffered is kept, and the frame grid re-anchors on the packet.
      this.stats.resyncs++;
      this.stats.framesDropped += this.#framesHolding(this.#span);
      this.#anchor(ssrc, seq, timestamp);
      offset = 0;
    }
    if (seqAhead) this.#highestSeq = seq;
    const end = offset + length;
    if (end > this.capacitySamples) {
      const over = Math.ceil((end - this.capacitySamples) / this.frameSamples);
      for (let i = 0; i < over; i++) this.#dropFrame();
      offset -= over * this.frameSamples;
    }
    let written = 0;
    const capacity = this.capacitySamples;
    let index = (this.#playoutIndex + offset) % capacity;
    for (let i = 0; i < length; i++) {
      if (this.#present[index] === 0) {
        this.#present[index] = 1;
        this.#ring[index] = samples[i] as number;
        written++;
      }
      if (++index === capacity) index = 0;
    }
    if (written === 0) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.stats.packetsAccepted++;
    const newEnd = offset + length;
    if (newEnd > this.#span) this.#span = newEnd;
    if (this.#span > this.#maxSpan) this.#maxSpan = this.#span;
    return 'accepted';
  }

  /** The next frame on the caller's clock, or undefined to wait (see the class comment). */
  pop(): JitterFrame | undefined {
    if (!this.#started) return undefined;
    const size = this.frameSamples;
    if (this.#span === 0) {
      this.stats.underruns++;
      this.#spareRun = 0;
      return undefined;
    }
    const start = this.#playoutIndex;
    let received = 0;
    for (let i = 0; i < size; i++) received += this.#present[start + i] as number;
    if (received < size && this.#span - size < this.#lossAfterSamples) {
      this.stats.underruns++;
      this.#spareRun = 0;
      return undefined;
    }
    // Trim: the buffer has held a spare frame beyond this one at every pop for a while.
    if (this.#span >= 2 * size) {
      if (++this.#spareRun >= this.#shrinkAfterFrames) {
        this.#spareRun = 0;
        this.#dropFrame();
        return this.pop();
      }
    } else {
      this.#spareRun = 0;
    }
    return this.#take(received);
  }

  /**
   * Arrival-driven playout (the media worker's): the frame at the playout point as soon as it is
   * complete, so an in-order packet goes straight through and the buffer holds nothing. While a
   * gap is outstanding (the frame is incomplete) it waits for the missing packet until the audio
   * behind the gap fills the depth cap, or until `age()` has counted the cap's worth of frame times;
   * then the frame comes out with its missing samples as zeros, flagged `filled`. Call it until it
   * returns undefined after every `push` and every `age`.
   */
  popReady(): JitterFrame | undefined {
    if (!this.#started || this.#span === 0) return undefined;
    const received = this.#receivedAtPlayout();
    if (
      received < this.frameSamples &&
      this.#span < this.capacitySamples &&
      this.#waitedSamples < this.capacitySamples
    ) {
      return undefined;
    }
    return this.#take(received);
  }

  /** One frame time passed (the caller's 20 ms clock): an outstanding gap has waited that much longer. */
  age(): void {
    if (!this.#started || this.#span === 0) return;
    if (this.#receivedAtPlayout() === this.frameSamples) return;
    this.#waitedSamples += this.frameSamples;
    this.stats.underruns++;
  }

  #receivedAtPlayout(): number {
    const start = this.#playoutIndex;
    let received = 0;
    for (let i = 0; i < this.frameSamples; i++) received += this.#present[start + i] as number;
    return received;
  }

  #take(received: number): JitterFrame {
    const size = this.frameSamples;
    const start = this.#playoutIndex;
    const frame = this.#frame;
    const out = frame.samples;
    const ring = this.#ring;
    // A loop, not `set(ring.subarray(...))`: the view would be an allocation per frame.
    for (let i = 0; i < size; i++) out[i] = ring[start + i] as number;
    frame.filled = received < size;
    frame.timestamp = this.#playoutTimestamp;
    this.#advance();
    this.stats.framesPlayed++;
    if (frame.filled) this.stats.framesFilled++;
    return frame;
  }

  /** Forgets everything, including the SSRC: the next packet starts a new stream. */
  reset(): void {
    this.#ring.fill(0);
    this.#present.fill(0);
    this.#started = false;
    this.#span = 0;
    this.#spareRun = 0;
    this.#waitedSamples = 0;
    this.#playoutIndex = 0;
  }

  #anchor(ssrc: number, seq: number, timestamp: number): void {
    this.reset();
    this.#started = true;
    this.#ssrc = ssrc;
    this.#highestSeq = seq;
    this.#playoutTimestamp = timestamp;
  }

  /** Drops the frame at the playout point unplayed. */
  #dropFrame(): void {
    if (this.#span > 0) this.stats.framesDropped++;
    this.#advance();
  }

  /** Clears the frame at the playout point and moves past it. */
  #advance(): void {
    const start = this.#playoutIndex;
    const end = start + this.frameSamples;
    this.#ring.fill(0, start, end);
    this.#present.fill(0, start, end);
    this.#playoutIndex = end === this.capacitySamples ? 0 : end;
    this.#playoutTimestamp = (this.#playoutTimestamp + this.frameSamples) >>> 0;
    this.#span = Math.max(0, this.#span - this.frameSamples);
    this.#waitedSamples = 0;
  }

  #framesHolding(samples: number): number {
    return Math.ceil(samples / this.frameSamples);
  }
}
