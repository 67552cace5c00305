import { Reframer, Resampler } from '@voicebridge/rtp';
import { OutboundQueue } from './outbound-queue.ts';
import { PlayoutLag } from './playout-lag.ts';

const SAMPLE_RATE_HZ = 8000;

/**
 * Agent → caller, up to the send queue: agent audio at any rate becomes ptime frames of 8 kHz PCM
 * in an OutboundQueue, with the agent's marks in order between them.
 *
 * Audio at another rate goes through a Resampler (ADR 0006: windowed-sinc polyphase, state carried
 * across chunks, peaks limited to −3 dBFS), one per input rate, made on first use. 8 kHz audio
 * skips it: the copy and the limiter would cost more than they give for audio already at our rate.
 */
export class OutboundPath {
  readonly queue: OutboundQueue;
  /** Lag behind the clock after stalls; `clear` ends it with the queue. */
  readonly lag: PlayoutLag;
  readonly #reframer: Reframer;
  readonly #resamplers = new Map<number, Resampler>();
  /** Resampler output; grows to the largest chunk seen, then is reused. */
  #scratch = new Int16Array(0);
  #dropped = 0;

  constructor(frameSamples: number, maxFrames: number, lagTargetFrames: number) {
    this.#reframer = new Reframer(frameSamples);
    this.queue = new OutboundQueue(frameSamples, maxFrames);
    this.lag = new PlayoutLag({ targetFrames: lagTargetFrames });
  }

  /** Frames dropped because the queue was full, since the last call (for the session's stats). */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }

  pushAudio(samples: Int16Array, sampleRateHz: number): void {
    if (sampleRateHz === SAMPLE_RATE_HZ) {
      this.#reframer.push(samples, this.#enqueue);
      return;
    }
    let resampler = this.#resamplers.get(sampleRateHz);
    if (!resampler) {
      resampler = new Resampler({
        inputRateHz: sampleRateHz,
        outputRateHz: SAMPLE_RATE_HZ,
      });
      this.#resamplers.set(sampleRateHz, resampler);
    }
    const scratch = this.#room(resampler.maxOutputFor(samples.length));
    const written = resampler.process(samples, scratch);
    this.#reframer.push(scratch.subarray(0, written), this.#enqueue);
  }

  /**
   * A mark: everything queued before it must be played before it is reported, so the resamplers'
   * filter tails are flushed out and a partial frame is padded with silence.
   */
  pushMark(name: string): void {
    for (const resampler of this.#resamplers.values()) {
      const scratch = this.#room(resampler.maxFlushOutput);
      const written = resampler.flush(scratch);
      if (written > 0) this.#reframer.push(scratch.subarray(0, written), this.#enqueue);
    }
    const partial = this.#reframer.flush();
    if (partial) this.#enqueue(partial);
    this.queue.pushMark(name);
  }

  /**
   * Drops queued audio and filter state; returns the marks that were still pending. A barge-in
   * passes `fadeSamples` (the agent's voice fades out instead of stopping mid-waveform); closing
   * does not.
   */
  clear(fadeSamples = 0): string[] {
    this.#reframer.reset();
    for (const resampler of this.#resamplers.values()) resampler.reset();
    this.lag.reset();
    return this.queue.clear(fadeSamples);
  }

  readonly #enqueue = (frame: Int16Array): void => {
    if (!this.queue.pushFrame(frame)) this.#dropped++;
  };

  #room(samples: number): Int16Array {
    if (this.#scratch.length < samples) this.#scratch = new Int16Array(samples);
    return this.#scratch;
  }
}
