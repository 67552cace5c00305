/**
 * 8 kHz telephone audio → the 16 kHz the pocketsphinx en-us model was trained on.
 *
 * The model's filterbank spans 130–6800 Hz; G.711 audio has nothing above 4 kHz, so a proper
 * (image-rejecting) resampler leaves the top filters empty and the features far from anything the
 * model saw. Upsampling *without* the image-rejection filter keeps a copy of the 0–4 kHz band
 * mirrored into 4–8 kHz, which fills those filters with speech-shaped energy. ADR 0005 measures it:
 * - `zero-stuff`: x0 0 x1 0 … (×2 gain), the full mirror;
 * - `linear`: x0 (x0+x1)/2 x1 … — zero-stuffing followed by a 2-tap triangle, i.e. the mirror
 *   attenuated towards 8 kHz. As good as the full mirror on every voice we tried, better on one.
 * - `band-limited`: a proper windowed-sinc interpolator (no image), for comparison: worse on
 *   every voice but one, by a wide margin on most.
 *
 * A faint, deterministic noise floor (xorshift32 PRNG, fixed seed) is added because digital
 * silence (lost packets are filled with zeros) misleads pocketsphinx's noise estimate and VAD.
 */
export type UpsamplingMethod = 'linear' | 'zero-stuff' | 'band-limited';

export interface TelephoneUpsamplerOptions {
  method?: UpsamplingMethod;
  /** Peak amplitude of the uniform noise floor, in 16-bit LSBs; 0 turns it off. */
  noiseFloor?: number;
  seed?: number;
}

export const DEFAULT_UPSAMPLING: UpsamplingMethod = 'linear';
export const DEFAULT_NOISE_FLOOR = 16;
const DEFAULT_SEED = 0x9e3779b9;
/** Half-length of the band-limited interpolator: 16 input samples each side (2 ms of delay). */
const HALF_TAPS = 16;

/** Taps for the sample halfway between x[m] and x[m+1], from x[m-15] … x[m+16] (Hann-windowed sinc). */
const HALFWAY_TAPS = Float64Array.from({ length: 2 * HALF_TAPS }, (_, i) => {
  const t = i - HALF_TAPS + 0.5;
  return (Math.sin(Math.PI * t) / (Math.PI * t)) * (0.5 + 0.5 * Math.cos((Math.PI * t) / (HALF_TAPS + 0.5)));
});

function clamp16(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : Math.round(value);
}

export class TelephoneUpsampler {
  readonly #method: UpsamplingMethod;
  readonly #noiseFloor: number;
  #seed: number;
  /** The last input sample: linear interpolation runs half a sample behind so chunks join seamlessly. */
  #previous = 0;
  /** The last 2 × HALF_TAPS input samples, for the band-limited interpolator (which runs that far behind). */
  readonly #history = new Float64Array(2 * HALF_TAPS);

  constructor(options: TelephoneUpsamplerOptions = {}) {
    this.#method = options.method ?? DEFAULT_UPSAMPLING;
    this.#noiseFloor = options.noiseFloor ?? DEFAULT_NOISE_FLOOR;
    this.#seed = (options.seed ?? DEFAULT_SEED) >>> 0 || DEFAULT_SEED;
  }

  /** Returns a new array of twice the length (the input may be reused by the caller afterwards). */
  process(input: Int16Array): Int16Array {
    const output = new Int16Array(input.length * 2);
    if (this.#method === 'zero-stuff') {
      for (let i = 0; i < input.length; i++) output[2 * i] = clamp16(2 * input[i]!);
    } else if (this.#method === 'band-limited') {
      this.#bandLimited(input, output);
    } else {
      let previous = this.#previous;
      for (let i = 0; i < input.length; i++) {
        const sample = input[i]!;
        output[2 * i] = (previous + sample) >> 1;
        output[2 * i + 1] = sample;
        previous = sample;
      }
      this.#previous = previous;
    }
    if (this.#noiseFloor > 0) this.#addNoise(output);
    return output;
  }

  /** `samples` of noise floor alone: what the decoder hears as silence (used to flush an utterance). */
  silence(samples: number): Int16Array {
    const output = new Int16Array(samples);
    if (this.#noiseFloor > 0) this.#addNoise(output);
    return output;
  }

  #bandLimited(input: Int16Array, output: Int16Array): void {
    const history = this.#history;
    for (let i = 0; i < input.length; i++) {
      history.copyWithin(0, 1);
      history[history.length - 1] = input[i]!;
      let halfway = 0;
      for (let k = 0; k < HALFWAY_TAPS.length; k++) halfway += HALFWAY_TAPS[k]! * history[k]!;
      output[2 * i] = clamp16(history[HALF_TAPS - 1]!);
      output[2 * i + 1] = clamp16(halfway);
    }
  }

  #addNoise(output: Int16Array): void {
    const scale = (2 * this.#noiseFloor) / 4294967296;
    let s = this.#seed;
    for (let i = 0; i < output.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      output[i] = clamp16(output[i]! + ((s >>> 0) * scale - this.#noiseFloor));
    }
    this.#seed = s;
  }
}
