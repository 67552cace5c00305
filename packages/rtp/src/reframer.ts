/**
 * Cuts a stream of PCM chunks of any length into frames of exactly `frameSamples` samples: inbound
 * 10/30/40 ms packets into 20 ms frames, arbitrary TTS chunks into ptime frames.
 *
 * No allocation after construction: the frame handed to `onFrame` is one internal buffer, reused
 * for every frame (or, when a push is exactly one frame and nothing is pending, the pushed array
 * itself). It is valid only until `onFrame` returns; a callee that keeps it must copy it
 * (`frame.slice()`), and must not hold on to it across calls.
 */
export class Reframer {
  readonly frameSamples: number;
  readonly #frame: Int16Array;
  #filled = 0;

  constructor(frameSamples: number) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    }
    this.frameSamples = frameSamples;
    this.#frame = new Int16Array(frameSamples);
  }

  /** Samples held back waiting for the rest of their frame (0 ≤ n < frameSamples). */
  get pendingSamples(): number {
    return this.#filled;
  }

  /**
   * Appends `samples` and calls `onFrame` once per completed frame, in order, before returning.
   * If `onFrame` throws, the frame it was given is consumed and the rest of `samples` is dropped.
   */
  push(samples: Int16Array, onFrame: (frame: Int16Array) => void): void {
    const frame = this.#frame;
    const size = this.frameSamples;
    const n = samples.length;
    // Already one whole frame, nothing pending (agent audio in ptime frames): handed on as it is.
    if (n === size && this.#filled === 0) {
      onFrame(samples);
      return;
    }
    let read = 0;
    while (read < n) {
      let filled = this.#filled;
      const take = Math.min(size - filled, n - read);
      // A plain loop: `frame.set(samples.subarray(...))` would allocate a view per chunk.
      for (let i = 0; i < take; i++) frame[filled + i] = samples[read + i] as number;
      filled += take;
      read += take;
      if (filled < size) {
        this.#filled = filled;
        return;
      }
      // Empty before the call, so a throwing or re-entrant callee sees a consistent reframer.
      this.#filled = 0;
      onFrame(frame);
    }
  }

  /**
   * Completes a partial frame with silence (zeros) and returns it, or undefined when no samples are
   * pending: the end of an utterance (or a mark) must still be sent. At most one frame can be
   * pending, so it is returned rather than passed to a callback; it is the same reused buffer as
   * the frames of `push`, valid until the next `push` or `flush`.
   */
  flush(): Int16Array | undefined {
    if (this.#filled === 0) return undefined;
    this.#frame.fill(0, this.#filled);
    this.#filled = 0;
    return this.#frame;
  }

  /** Drops pending samples (barge-in `clear`, or a new stream). */
  reset(): void {
    this.#filled = 0;
  }
}
