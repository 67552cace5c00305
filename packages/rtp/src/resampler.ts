/**
 * Rational polyphase resampler with a Kaiser-windowed sinc, for TTS audio at 16, 22.05, 24, 44.1 or
 * 48 kHz going to the 8 kHz phone leg, followed by a peak limiter at −3 dBFS.
 *
 * Rates L/M: output rate / input rate reduced by their gcd (24 kHz → 8 kHz is 1/3, 22.05 kHz is
 * 160/441). Output n is the prototype filter h, running at L × input rate, applied to the input
 * zero-stuffed by L and taken every M: y[n] = Σ_k h[p + kL] · x[i − k] with i = ⌊nM/L⌋, p = nM mod L
 * ("phase"). Only the T = ⌈len(h)/L⌉ taps of one phase are computed per output sample.
 *
 * Filter: cutoff at half the lower rate (4 kHz for an 8 kHz output), Kaiser window designed for
 * 60 dB stop-band attenuation over a transition band 15% of the output rate wide (3.4–4.6 kHz at
 * 8 kHz: what folds into 3.4–4 kHz lies above the telephone band). Kaiser's estimates:
 * β = 0.1102 (A − 8.7) and N = (A − 8) / (2.285 Δω). Each phase is normalised to a DC gain of
 * exactly 1, so no phase-dependent ripple appears on steady signals.
 *
 * Chunk boundaries are invisible: the last T − 1 input samples, the phase and the limiter gain carry
 * over, and every output sample is computed by the same operations in the same order whatever the
 * chunking, so the output is sample-exact with one big chunk.
 *
 * Limiter (instant attack, exponential release, no look-ahead): TTS engines normalise close to full
 * scale and the filter overshoots on transients, so peaks are bounded at −3 dBFS (23,197): when a
 * sample would exceed the ceiling the gain drops at once to exactly meet it, then recovers towards
 * 1 with a 50 ms time constant. Unlike a fixed −3 dB scale it leaves quiet speech untouched, and
 * unlike clipping it bends a waveform over a few hundred samples, not one.
 */

export interface ResamplerOptions {
  inputRateHz: number;
  /** Default 8000. */
  outputRateHz?: number;
  /** Stop-band attenuation the filter is designed for, dB; default 60. */
  attenuationDb?: number;
  /** Peak ceiling, dBFS; default −3. */
  ceilingDbfs?: number;
  /** Limiter release time constant, ms; default 50. */
  releaseMs?: number;
}

/** Input samples handled per inner pass; the history buffer is this plus the filter length. */
const BLOCK_SAMPLES = 4096;
const MAX_PHASES = 4096;

export class Resampler {
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  /** Upsampling factor L and downsampling factor M. */
  readonly up: number;
  readonly down: number;
  /** Taps per phase (T). */
  readonly tapsPerPhase: number;
  readonly #coefficients: Float64Array;
  /** Per phase: the next phase, and how many input samples the next output moves on. */
  readonly #nextPhase: Int32Array;
  readonly #inputStep: Int32Array;
  readonly #ceiling: number;
  readonly #release: number;
  /** Input samples with absolute index `bufferStart + j` at `buffer[j]`. */
  readonly #buffer: Float64Array;
  #bufferStart: number;
  #bufferLength: number;
  /** The next output's newest input sample (absolute index) and phase. */
  #inputIndex = 0;
  #phase = 0;
  #gain = 1;

  constructor(options: ResamplerOptions) {
    const inputRateHz = options.inputRateHz;
    const outputRateHz = options.outputRateHz ?? 8000;
    for (const [name, value] of [
      ['inputRateHz', inputRateHz],
      ['outputRateHz', outputRateHz],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0)
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    const divisor = gcd(inputRateHz, outputRateHz);
    const up = outputRateHz / divisor;
    const down = inputRateHz / divisor;
    if (up > MAX_PHASES)
      throw new RangeError(`${inputRateHz} → ${outputRateHz} Hz needs ${up} phases, at most ${MAX_PHASES}`);
    const attenuationDb = options.attenuationDb ?? 60;
    if (!(attenuationDb >= 20 && attenuationDb <= 140)) throw new RangeError(`attenuationDb must be 20–140`);
    this.inputRateHz = inputRateHz;
    this.outputRateHz = outputRateHz;
    this.up = up;
    this.down = down;

    const { coefficients, tapsPerPhase } = design(inputRateHz, outputRateHz, up, attenuationDb);
    this.#coefficients = coefficients;
    this.tapsPerPhase = tapsPerPhase;
    this.#nextPhase = new Int32Array(up);
    this.#inputStep = new Int32Array(up);
    for (let p = 0; p < up; p++) {
      this.#nextPhase[p] = (p + down) % up;
      this.#inputStep[p] = Math.floor((p + down) / up);
    }
    this.#ceiling = 32767 * 10 ** ((options.ceilingDbfs ?? -3) / 20);
    this.#release = 1 - Math.exp(-1000 / ((options.releaseMs ?? 50) * outputRateHz));
    this.#buffer = new Float64Array(tapsPerPhase - 1 + BLOCK_SAMPLES);
    // Silence before the first sample, so output starts at once (delayed by the filter).
    this.#bufferStart = -(tapsPerPhase - 1);
    this.#bufferLength = tapsPerPhase - 1;
  }

  /** Most output samples `process` can write for `inputSamples` more input. */
  maxOutputFor(inputSamples: number): number {
    return Math.ceil(((inputSamples + 1) * this.up) / this.down) + 1;
  }

  /** Filter delay in output samples (the group delay of the linear-phase prototype). */
  get delaySamples(): number {
    return (this.tapsPerPhase * this.up - 1) / 2 / this.down;
  }

  /**
   * Resamples `input` into `out` from `outOffset`; returns the number of output samples written.
   * `out` must have room for `maxOutputFor(input.length)`.
   */
  process(input: Int16Array, out: Int16Array, outOffset = 0): number {
    if (out.length - outOffset < this.maxOutputFor(input.length)) {
      throw new RangeError(`output has room for ${out.length - outOffset}, needs ${this.maxOutputFor(input.length)}`);
    }
    let written = outOffset;
    let read = 0;
    const buffer = this.#buffer;
    while (read < input.length) {
      const take = Math.min(input.length - read, buffer.length - this.#bufferLength);
      const at = this.#bufferLength;
      for (let i = 0; i < take; i++) buffer[at + i] = input[read + i] as number;
      this.#bufferLength += take;
      read += take;
      written = this.#run(out, written);
      this.#compact();
    }
    return written - outOffset;
  }

  /**
   * Ends an utterance: pushes silence through the filter until the last input sample has left it
   * (about 2 × `delaySamples` of output, 3 ms at 8 kHz), writes what comes out into `out` from
   * `outOffset`, then resets. Returns the number of samples written (at most `maxFlushOutput`).
   * Use it before a mark, so the audio queued before the mark is complete.
   */
  flush(out: Int16Array, outOffset = 0): number {
    const zeros = this.#flushInputSamples();
    if (out.length - outOffset < this.maxOutputFor(zeros)) {
      throw new RangeError(`output has room for ${out.length - outOffset}, needs ${this.maxOutputFor(zeros)}`);
    }
    this.#buffer.fill(0, this.#bufferLength, this.#bufferLength + zeros);
    this.#bufferLength += zeros;
    const written = this.#run(out, outOffset) - outOffset;
    this.reset();
    return written;
  }

  /** Room `flush` needs in its output. */
  get maxFlushOutput(): number {
    return this.maxOutputFor(this.#flushInputSamples());
  }

  /** Input samples of silence that move the newest real sample out of the filter: its whole tail. */
  #flushInputSamples(): number {
    return this.tapsPerPhase - 1;
  }

  /** Forgets the history, phase and limiter gain: the next `process` starts a new stream. */
  reset(): void {
    this.#buffer.fill(0);
    this.#bufferStart = -(this.tapsPerPhase - 1);
    this.#bufferLength = this.tapsPerPhase - 1;
    this.#inputIndex = 0;
    this.#phase = 0;
    this.#gain = 1;
  }

  /** Computes every output whose newest input sample is buffered. */
  #run(out: Int16Array, written: number): number {
    const taps = this.tapsPerPhase;
    const coefficients = this.#coefficients;
    const buffer = this.#buffer;
    const ceiling = this.#ceiling;
    const release = this.#release;
    // With one phase (integer decimation: 16, 24, 48 kHz) the taps are symmetric: fold them.
    const symmetric = this.up === 1 && taps > 1;
    const end = this.#bufferStart + this.#bufferLength;
    let inputIndex = this.#inputIndex;
    let phase = this.#phase;
    let gain = this.#gain;
    while (inputIndex < end) {
      const newest = inputIndex - this.#bufferStart;
      const base = phase * taps;
      const acc = symmetric
        ? foldedDot(coefficients, buffer, newest, taps)
        : dot(coefficients, base, buffer, newest, taps);
      gain += (1 - gain) * release;
      const magnitude = Math.abs(acc * gain);
      if (magnitude > ceiling) gain = ceiling / Math.abs(acc);
      out[written++] = Math.round(acc * gain);
      inputIndex += this.#inputStep[phase] as number;
      phase = this.#nextPhase[phase] as number;
    }
    this.#inputIndex = inputIndex;
    this.#phase = phase;
    this.#gain = gain;
    return written;
  }

  /** Keeps only the T − 1 samples before the next output's newest one. */
  #compact(): void {
    const keepFrom = this.#inputIndex - (this.tapsPerPhase - 1);
    const drop = Math.min(keepFrom - this.#bufferStart, this.#bufferLength);
    if (drop <= 0) return;
    this.#buffer.copyWithin(0, drop, this.#bufferLength);
    this.#bufferStart += drop;
    this.#bufferLength -= drop;
  }
}

/**
 * Σ c[base + k] · x[newest − k] over k < taps, in four partial sums: independent dependency chains
 * the CPU can overlap (~25% faster than one chain on this machine).
 */
function dot(c: Float64Array, base: number, x: Float64Array, newest: number, taps: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let k = 0;
  for (; k + 3 < taps; k += 4) {
    const ci = base + k;
    const xi = newest - k;
    a0 += (c[ci] as number) * (x[xi] as number);
    a1 += (c[ci + 1] as number) * (x[xi - 1] as number);
    a2 += (c[ci + 2] as number) * (x[xi - 2] as number);
    a3 += (c[ci + 3] as number) * (x[xi - 3] as number);
  }
  for (; k < taps; k++) a0 += (c[base + k] as number) * (x[newest - k] as number);
  return a0 + a1 + (a2 + a3);
}

/** The same for a symmetric single-phase filter (c[k] = c[taps − 1 − k]): half the multiplies. */
function foldedDot(c: Float64Array, x: Float64Array, newest: number, taps: number): number {
  const oldest = newest - taps + 1;
  const half = taps >> 1;
  let a0 = 0;
  let a1 = 0;
  let k = 0;
  for (; k + 1 < half; k += 2) {
    a0 += (c[k] as number) * ((x[newest - k] as number) + (x[oldest + k] as number));
    a1 += (c[k + 1] as number) * ((x[newest - k - 1] as number) + (x[oldest + k + 1] as number));
  }
  for (; k < half; k++) a0 += (c[k] as number) * ((x[newest - k] as number) + (x[oldest + k] as number));
  if ((taps & 1) === 1) a0 += (c[half] as number) * (x[newest - half] as number);
  return a0 + a1;
}

/** Kaiser-windowed sinc prototype at L × input rate, split into L phases of T taps. */
function design(
  inputRateHz: number,
  outputRateHz: number,
  up: number,
  attenuationDb: number,
): { coefficients: Float64Array; tapsPerPhase: number } {
  if (up === 1 && inputRateHz === outputRateHz) return { coefficients: Float64Array.of(1), tapsPerPhase: 1 };
  const protoRateHz = inputRateHz * up;
  const cutoffHz = Math.min(inputRateHz, outputRateHz) / 2;
  const transitionHz = 0.15 * Math.min(inputRateHz, outputRateHz);
  const deltaOmega = (2 * Math.PI * transitionHz) / protoRateHz;
  const estimated = Math.ceil((attenuationDb - 8) / (2.285 * deltaOmega));
  const tapsPerPhase = Math.max(2, Math.ceil(estimated / up));
  const length = tapsPerPhase * up;
  const beta =
    attenuationDb > 50
      ? 0.1102 * (attenuationDb - 8.7)
      : 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  const center = (length - 1) / 2;
  const fc = cutoffHz / protoRateHz;
  const i0Beta = besselI0(beta);
  const coefficients = new Float64Array(length);
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let k = 0; k < tapsPerPhase; k++) {
      const j = p + k * up;
      const t = j - center;
      const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
      const r = t / center;
      const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
      const value = sinc * window;
      coefficients[p * tapsPerPhase + k] = value;
      sum += value;
    }
    for (let k = 0; k < tapsPerPhase; k++)
      coefficients[p * tapsPerPhase + k] = (coefficients[p * tapsPerPhase + k] as number) / sum;
  }
  return { coefficients, tapsPerPhase };
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < 50; k++) {
    term *= (half / k) ** 2;
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
