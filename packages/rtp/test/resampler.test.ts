import { expect } from 'chai';
import { Resampler } from '../src/index.ts';

const TTS_RATES = [16000, 22050, 24000, 44100, 48000];
const CEILING = Math.floor(32767 * 10 ** (-3 / 20));

function tone(rateHz: number, frequencyHz: number, seconds: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: Math.round(rateHz * seconds) }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz)),
  );
}

function noise(length: number, seed: number): Int16Array {
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out[i] = (seed >>> 16) - 32768;
  }
  return out;
}

function resampleAll(r: Resampler, input: Int16Array): Int16Array {
  const out = new Int16Array(r.maxOutputFor(input.length));
  return out.slice(0, r.process(input, out));
}

/** RMS after the filter's start-up transient. */
function rms(samples: Int16Array, skip: number): number {
  let sum = 0;
  for (let i = skip; i < samples.length; i++) sum += (samples[i] as number) ** 2;
  return Math.sqrt(sum / (samples.length - skip));
}

function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

describe('Resampler', () => {
  for (const rate of TTS_RATES) {
    it(`turns 1 s at ${rate} Hz into 8000 samples at 8 kHz`, () => {
      expect(resampleAll(new Resampler({ inputRateHz: rate }), new Int16Array(rate)).length).to.equal(8000);
    });

    it(`passes a 1 kHz tone at ${rate} Hz within 1 dB`, () => {
      const r = new Resampler({ inputRateHz: rate });
      const out = resampleAll(r, tone(rate, 1000, 0.5, 10000));
      const gainDb = db(rms(out, Math.ceil(2 * r.delaySamples)) / (10000 / Math.SQRT2));
      expect(Math.abs(gainDb)).to.be.below(1);
    });

    it(`attenuates a 5 kHz tone at ${rate} Hz (it would alias to 3 kHz) by at least 40 dB`, () => {
      const r = new Resampler({ inputRateHz: rate });
      const out = resampleAll(r, tone(rate, 5000, 0.5, 10000));
      const attenuationDb = -db(rms(out, Math.ceil(2 * r.delaySamples)) / (10000 / Math.SQRT2));
      expect(attenuationDb).to.be.at.least(40);
    });
  }

  it('attenuates a 5 kHz tone at 24 kHz by at least 40 dB (above 4 kHz it would alias into the phone band)', () => {
    const r = new Resampler({ inputRateHz: 24000 });
    const out = resampleAll(r, tone(24000, 5000, 1, 16000));
    expect(-db(rms(out, 200) / (16000 / Math.SQRT2))).to.be.at.least(40);
  });

  for (const rate of [22050, 48000]) {
    it(`gives sample-exact the same output at ${rate} Hz whether fed in one chunk or in random chunks`, () => {
      const input = noise(rate * 2, 99);
      const whole = resampleAll(new Resampler({ inputRateHz: rate }), input);
      const chunked = new Resampler({ inputRateHz: rate });
      const out = new Int16Array(whole.length + 16);
      let written = 0;
      let seed = 5;
      for (let read = 0; read < input.length;) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const pick = seed % 4;
        const size =
          pick === 0 ? 0 : pick === 1 ? 1 + (seed % 7) : pick === 2 ? 1 + (seed % 900) : 4000 + (seed % 6000);
        const chunk = input.subarray(read, Math.min(input.length, read + size));
        read += chunk.length;
        written += chunked.process(chunk, out, written);
      }
      expect(written).to.equal(whole.length);
      expect(out.subarray(0, written)).to.deep.equal(whole);
    });
  }

  it('keeps every output peak at or below −3 dBFS, even from a full-scale square wave', () => {
    for (const rate of TTS_RATES) {
      const square = Int16Array.from({ length: rate }, (_, i) =>
        Math.floor(i / (rate / 400)) % 2 === 0 ? 32767 : -32768,
      );
      const out = resampleAll(new Resampler({ inputRateHz: rate }), square);
      const peak = out.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
      expect(peak, `${rate} Hz`).to.be.at.most(CEILING);
      expect(peak, `${rate} Hz`).to.be.above(CEILING - 200);
    }
  });

  it('leaves audio below the ceiling untouched: 8 kHz in is the same 8 kHz out', () => {
    const input = tone(8000, 440, 0.1, 20000);
    expect(resampleAll(new Resampler({ inputRateHz: 8000 }), input)).to.deep.equal(input);
  });

  it('limits 8 kHz input that is louder than −3 dBFS', () => {
    const out = resampleAll(new Resampler({ inputRateHz: 8000 }), tone(8000, 440, 0.1, 32767));
    expect(out.reduce((m, s) => Math.max(m, Math.abs(s)), 0)).to.be.at.most(CEILING);
  });

  it('starts a new stream after reset, as if new', () => {
    const input = noise(4800, 3);
    const r = new Resampler({ inputRateHz: 48000 });
    const first = resampleAll(r, input);
    resampleAll(r, noise(1234, 4));
    r.reset();
    expect(resampleAll(r, input)).to.deep.equal(first);
  });

  it('brings out the tail held in the filter on flush, so audio before a mark is complete', () => {
    const r = new Resampler({ inputRateHz: 24000 });
    const input = new Int16Array(480);
    input[479] = 20000;
    const out = new Int16Array(r.maxOutputFor(input.length) + r.maxFlushOutput);
    const before = r.process(input, out);
    const sum = (from: number, to: number): number => out.subarray(from, to).reduce((a, s) => a + s, 0);
    // An impulse of 20000 carries 20000 × L / M = 6667 into the output sum, once all of it is out.
    expect(sum(0, before)).to.be.below(6667 / 2);
    const after = before + r.flush(out, before);
    expect(sum(0, after)).to.be.closeTo(6667, 6667 * 0.02);
  });

  it('starts the next utterance fresh after a flush', () => {
    const input = noise(2400, 8);
    const fresh = resampleAll(new Resampler({ inputRateHz: 48000 }), input);
    const r = new Resampler({ inputRateHz: 48000 });
    resampleAll(r, noise(999, 9));
    r.flush(new Int16Array(r.maxFlushOutput));
    expect(resampleAll(r, input)).to.deep.equal(fresh);
  });

  it('refuses an output buffer that may be too small', () => {
    const r = new Resampler({ inputRateHz: 24000 });
    expect(() => r.process(new Int16Array(480), new Int16Array(100))).to.throw(RangeError);
  });

  it('rejects rates that are not positive integers', () => {
    expect(() => new Resampler({ inputRateHz: 0 })).to.throw(RangeError);
    expect(() => new Resampler({ inputRateHz: 22050.5 })).to.throw(RangeError);
  });
});
