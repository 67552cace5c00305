/**
 * Integer-factor downsampling of a whole buffer (one synthesised clause) to the telephone rate:
 * a windowed-sinc low-pass at 3.6 kHz (Blackman window, 32 taps per factor step, ≥ 74 dB stop band)
 * evaluated only at the kept samples. Flite voices are 8 kHz (kal) or 16 kHz (rms, slt, awb, kal16);
 * 16 kHz voices run through here once per clause, well under a millisecond per second of speech.
 */
const CUTOFF_HZ = 3600;

const filters = new Map<string, Float64Array>();

function lowPass(factor: number, inputRateHz: number): Float64Array {
  const key = `${factor}/${inputRateHz}`;
  const cached = filters.get(key);
  if (cached) return cached;
  const length = 32 * factor + 1;
  const middle = (length - 1) / 2;
  const cutoff = CUTOFF_HZ / inputRateHz; // cycles per input sample
  const taps = new Float64Array(length);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const t = i - middle;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    const window =
      0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (length - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (length - 1));
    taps[i] = sinc * window;
    sum += taps[i]!;
  }
  for (let i = 0; i < length; i++) taps[i]! /= sum;
  filters.set(key, taps);
  return taps;
}

/** `input` at `inputRateHz` → `outputRateHz`; the input rate must be a whole multiple of the output rate. */
export function decimate(input: Int16Array, inputRateHz: number, outputRateHz: number): Int16Array {
  if (inputRateHz === outputRateHz) return input;
  const factor = inputRateHz / outputRateHz;
  if (!Number.isInteger(factor) || factor < 1)
    throw new RangeError(`cannot resample ${inputRateHz} Hz to ${outputRateHz} Hz by an integer factor`);
  const taps = lowPass(factor, inputRateHz);
  const middle = (taps.length - 1) / 2;
  const output = new Int16Array(Math.floor(input.length / factor));
  for (let n = 0; n < output.length; n++) {
    const centre = n * factor;
    const from = Math.max(0, centre - middle);
    const to = Math.min(input.length - 1, centre + middle);
    let acc = 0;
    for (let i = from; i <= to; i++) acc += taps[i - centre + middle]! * input[i]!;
    output[n] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
  return output;
}
