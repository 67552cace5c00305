import { expect } from 'chai';
import { TelephoneUpsampler } from '../../src/stt/telephone-upsampler.ts';

/** Energy of `pcm` (16 kHz) at `hz` by correlation with a complex exponential. */
function magnitudeAt(pcm: Int16Array, hz: number, rateHz = 16000): number {
  let re = 0;
  let im = 0;
  for (let n = 0; n < pcm.length; n++) {
    re += pcm[n]! * Math.cos((2 * Math.PI * hz * n) / rateHz);
    im -= pcm[n]! * Math.sin((2 * Math.PI * hz * n) / rateHz);
  }
  return Math.hypot(re, im) / pcm.length;
}

function tone(hz: number, samples: number, rateHz = 8000): Int16Array {
  return Int16Array.from({ length: samples }, (_, n) => Math.round(8000 * Math.sin((2 * Math.PI * hz * n) / rateHz)));
}

describe('TelephoneUpsampler', () => {
  it('doubles the length', () => {
    expect(new TelephoneUpsampler().process(new Int16Array(160))).to.have.length(320);
  });

  it('zero-stuffing keeps the full mirror image of the phone band (1 kHz also at 7 kHz)', () => {
    const out = new TelephoneUpsampler({ method: 'zero-stuff', noiseFloor: 0 }).process(tone(1000, 8000));
    expect(magnitudeAt(out, 1000)).to.be.closeTo(4000, 40);
    expect(magnitudeAt(out, 7000)).to.be.closeTo(4000, 40);
  });

  it('linear interpolation keeps an attenuated mirror image', () => {
    const out = new TelephoneUpsampler({ method: 'linear', noiseFloor: 0 }).process(tone(1000, 8000));
    const image = magnitudeAt(out, 7000) / magnitudeAt(out, 1000);
    expect(image).to.be.within(0.01, 0.2);
  });

  it('band-limited interpolation leaves no image (the plain resampling it is compared with)', () => {
    const out = new TelephoneUpsampler({ method: 'band-limited', noiseFloor: 0 }).process(tone(1000, 8000));
    expect(magnitudeAt(out, 1000)).to.be.closeTo(4000, 80);
    expect(magnitudeAt(out, 7000)).to.be.below(40);
  });

  for (const method of ['linear', 'zero-stuff', 'band-limited'] as const) {
    it(`${method}: is continuous across chunk boundaries`, () => {
      const input = tone(440, 800);
      const whole = new TelephoneUpsampler({ method, noiseFloor: 0 }).process(input);
      const upsampler = new TelephoneUpsampler({ method, noiseFloor: 0 });
      const pieces = [upsampler.process(input.subarray(0, 333)), upsampler.process(input.subarray(333))];
      expect(Array.from(pieces[0]!).concat(Array.from(pieces[1]!))).to.deep.equal(Array.from(whole));
    });
  }

  it('adds a faint deterministic noise floor, so digital silence is never fed to the decoder', () => {
    const a = new TelephoneUpsampler({ noiseFloor: 16 }).process(new Int16Array(800));
    const b = new TelephoneUpsampler({ noiseFloor: 16 }).process(new Int16Array(800));
    expect(Array.from(a)).to.deep.equal(Array.from(b));
    expect(a.some((sample) => sample !== 0)).to.equal(true);
    expect(a.every((sample) => Math.abs(sample) <= 16)).to.equal(true);
  });
});
