import { Reframer, Resampler } from '@voicebridge/rtp';
import { OutboundQueue } from './outbound-queue.ts';
import { PlayoutLag } from './playout-lag.ts';

const SAMPLE_RATE_HZ = 8000;
/**
 * Paced audio (see `pushAudio`): at most this long, and arriving between these shares of the
 * previous audio's length after it.
 */
const PACED_MAX_MS = 60;
const PACED_MIN_SHARE = 0.9;
const PACED_MAX_SHARE = 3;

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
  readonly #clock: { nowMs(): number };
  /** When the agent's last audio arrived, and how long it plays (ms). */
  #lastAudioAtMs = -Infinity;
  #lastAudioMs = 0;
  /** Arrival time the next frame enqueued carries (the first frame of paced audio), else -1. */
  #pacedAtMs = -1;

  /** `clock`: the media clock, whose time tells audio paced at real time from audio sent ahead. */
  constructor(frameSamples: number, maxFrames: number, lagTargetFrames: number, clock: { nowMs(): number }) {
    this.#reframer = new Reframer(frameSamples);
    this.queue = new OutboundQueue(frameSamples, maxFrames);
    this.lag = new PlayoutLag({ targetFrames: lagTargetFrames, periodMs: frameSamples / (SAMPLE_RATE_HZ / 1000) });
    this.#clock = clock;
  }

  /** Frames dropped because the queue was full, since the last call (for the session's stats). */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }

  /**
   * Audio is **paced** when it comes the way a live source sends it: a packet's worth (at most
   * 60 ms) arriving about one length of the audio before it after that audio (between 0.9 and 3
   * times: real time, with room for the source's jitter). Its first frame then carries its arrival
   * time, so PlayoutLag can see a queue standing in front of a live source. Audio sent ahead is
   * never paced: a TTS, bot or model faster than real time arrives sooner, and what the agent's own
   * queue releases as media plays (240 ms slices, or a burst of small chunks after a 240 ms wait)
   * is either too long or comes after a gap many times its length.
   */
  pushAudio(samples: Int16Array, sampleRateHz: number): void {
    const nowMs = this.#clock.nowMs();
    const lengthMs = (samples.length * 1000) / sampleRateHz;
    const sinceMs = nowMs - this.#lastAudioAtMs;
    const paced =
      lengthMs <= PACED_MAX_MS &&
      sinceMs >= PACED_MIN_SHARE * this.#lastAudioMs &&
      sinceMs <= PACED_MAX_SHARE * this.#lastAudioMs;
    this.#pacedAtMs = paced ? nowMs : -1;
    this.#lastAudioAtMs = nowMs;
    this.#lastAudioMs = lengthMs;
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
    if (!this.queue.pushFrame(frame, this.#pacedAtMs)) this.#dropped++;
    this.#pacedAtMs = -1;
  };

  #room(samples: number): Int16Array {
    if (this.#scratch.length < samples) this.#scratch = new Int16Array(samples);
    return this.#scratch;
  }
}
