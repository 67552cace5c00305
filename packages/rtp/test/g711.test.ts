import { expect } from 'chai';
import { G711_SILENCE, decoderFor, encoderFor, pcmaDecode, pcmaEncode, pcmuDecode, pcmuEncode } from '../src/index.ts';
import type { G711Codec } from '../src/index.ts';

// ITU-T G.191 g711.c, transliterated statement by statement (C `short` arithmetic fits in a JS
// number for these ranges). The tables under test must agree with it on every input.
function g191AlawCompress(linbuf: number): number {
  let ix = linbuf < 0 ? ~linbuf >> 4 : linbuf >> 4; // 0 <= ix < 2048, 1's complement for negatives
  if (ix > 15) {
    let iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      iexp++;
    }
    ix -= 16;
    ix += iexp << 4;
  }
  if (linbuf >= 0) ix |= 0x0080;
  return ix ^ 0x0055;
}

function g191AlawExpand(logbuf: number): number {
  let ix = logbuf ^ 0x0055;
  ix &= 0x007f;
  const iexp = ix >> 4;
  let mant = ix & 0x000f;
  if (iexp > 0) mant = mant + 16;
  mant = (mant << 4) + 0x0008;
  if (iexp > 1) mant = mant << (iexp - 1);
  return logbuf > 127 ? mant : -mant;
}

function g191UlawCompress(linbuf: number): number {
  let absno = linbuf < 0 ? (~linbuf >> 2) + 33 : (linbuf >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const highNibble = 0x0008 - segno;
  let lowNibble = (absno >> segno) & 0x000f;
  lowNibble = 0x000f - lowNibble;
  let logbuf = (highNibble << 4) | lowNibble;
  if (linbuf >= 0) logbuf = logbuf | 0x0080;
  return logbuf;
}

function g191UlawExpand(logbuf: number): number {
  const sign = logbuf < 0x0080 ? -1 : 1;
  let mantissa = ~logbuf;
  const exponent = (mantissa >> 4) & 0x0007;
  const segment = exponent + 1;
  mantissa = mantissa & 0x000f;
  const step = 4 << segment;
  return sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33);
}

// Sun's public-domain g711.c `linear2ulaw`, the other widely copied reference: negates instead of
// taking the one's complement, so it differs from G.191 on some negative inputs.
function sunLinear2ulaw(pcm: number): number {
  const segEnd = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
  let value = pcm >> 2;
  let mask = 0xff;
  if (value < 0) {
    value = -value;
    mask = 0x7f;
  }
  if (value > 8159) value = 8159;
  value += 0x84 >> 2;
  const seg = segEnd.findIndex((end) => value <= end);
  if (seg < 0) return 0x7f ^ mask;
  return ((seg << 4) | ((value >> (seg + 1)) & 0xf)) ^ mask;
}

const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

function encodeOne(encode: (pcm: Int16Array, out: Uint8Array) => void, sample: number): number {
  const out = new Uint8Array(1);
  encode(Int16Array.of(sample), out);
  return out[0] as number;
}

function decodeOne(decode: (g711: Uint8Array, out: Int16Array) => void, code: number): number {
  const out = new Int16Array(1);
  decode(Uint8Array.of(code), out);
  return out[0] as number;
}

function firstMismatch(actual: ArrayLike<number>, expected: (i: number) => number): string | undefined {
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected(i)) return `index ${i}: got ${actual[i]}, expected ${expected(i)}`;
  }
  return undefined;
}

describe('G.711', () => {
  describe('μ-law (PCMU)', () => {
    it('encodes all 65,536 samples exactly as G.191 ulaw_compress', () => {
      const out = new Uint8Array(ALL_SAMPLES.length);
      pcmuEncode(ALL_SAMPLES, out);
      expect(firstMismatch(out, (i) => g191UlawCompress(ALL_SAMPLES[i] as number))).to.equal(undefined);
    });

    it('decodes all 256 codes exactly as G.191 ulaw_expand', () => {
      const out = new Int16Array(256);
      pcmuDecode(ALL_CODES, out);
      expect(firstMismatch(out, (i) => g191UlawExpand(i))).to.equal(undefined);
    });

    it('encodes 0 to 0xFF and decodes 0xFF to 0', () => {
      expect(encodeOne(pcmuEncode, 0)).to.equal(0xff);
      expect(decodeOne(pcmuDecode, 0xff)).to.equal(0);
    });

    it('encodes full scale to 0x80 / 0x00, which decode to ±32124', () => {
      expect(encodeOne(pcmuEncode, 32767)).to.equal(0x80);
      expect(encodeOne(pcmuEncode, -32768)).to.equal(0x00);
      expect(decodeOne(pcmuDecode, 0x80)).to.equal(32124);
      expect(decodeOne(pcmuDecode, 0x00)).to.equal(-32124);
    });

    it('encodes −1…−4 to 0x7F (negative zero) as G.191 does, where Sun linear2ulaw gives 0x7E', () => {
      for (const sample of [-1, -2, -3, -4]) {
        expect(encodeOne(pcmuEncode, sample)).to.equal(0x7f);
        expect(sunLinear2ulaw(sample)).to.equal(0x7e);
      }
      expect(decodeOne(pcmuDecode, 0x7f)).to.equal(0);
      expect(encodeOne(pcmuEncode, -5)).to.equal(0x7e);
    });

    it('differs from Sun linear2ulaw on 508 negative inputs only, each by one step', () => {
      const out = new Uint8Array(ALL_SAMPLES.length);
      pcmuEncode(ALL_SAMPLES, out);
      let differing = 0;
      for (let i = 0; i < ALL_SAMPLES.length; i++) {
        const sample = ALL_SAMPLES[i] as number;
        const sun = sunLinear2ulaw(sample);
        if (sun === out[i]) continue;
        differing++;
        expect(sample, `sample ${sample}`).to.be.below(0);
        expect(Math.abs(sun - (out[i] as number)), `sample ${sample}`).to.equal(1);
      }
      expect(differing).to.equal(508);
    });
  });

  describe('A-law (PCMA)', () => {
    it('encodes all 65,536 samples exactly as G.191 alaw_compress', () => {
      const out = new Uint8Array(ALL_SAMPLES.length);
      pcmaEncode(ALL_SAMPLES, out);
      expect(firstMismatch(out, (i) => g191AlawCompress(ALL_SAMPLES[i] as number))).to.equal(undefined);
    });

    it('decodes all 256 codes exactly as G.191 alaw_expand', () => {
      const out = new Int16Array(256);
      pcmaDecode(ALL_CODES, out);
      expect(firstMismatch(out, (i) => g191AlawExpand(i))).to.equal(undefined);
    });

    it('encodes 0 to 0xD5 and decodes 0xD5 to 8', () => {
      expect(encodeOne(pcmaEncode, 0)).to.equal(0xd5);
      expect(decodeOne(pcmaDecode, 0xd5)).to.equal(8);
    });

    it('encodes −1…−7 (and on to −16) to 0x55, the code nearest zero, not noise', () => {
      for (let sample = -1; sample >= -16; sample--) expect(encodeOne(pcmaEncode, sample)).to.equal(0x55);
      expect(decodeOne(pcmaDecode, 0x55)).to.equal(-8);
      expect(encodeOne(pcmaEncode, -17)).to.equal(0x54);
    });

    it('encodes full scale to 0xAA / 0x2A, which decode to ±32256', () => {
      expect(encodeOne(pcmaEncode, 32767)).to.equal(0xaa);
      expect(encodeOne(pcmaEncode, -32768)).to.equal(0x2a);
      expect(decodeOne(pcmaDecode, 0xaa)).to.equal(32256);
      expect(decodeOne(pcmaDecode, 0x2a)).to.equal(-32256);
    });
  });

  for (const codec of ['PCMU', 'PCMA'] as const) {
    describe(`${codec} buffers`, () => {
      const encode = encoderFor(codec);
      const decode = decoderFor(codec);

      it('re-encodes every decoded value to a code that decodes to the same value', () => {
        const decoded = new Int16Array(256);
        decode(ALL_CODES, decoded);
        const reencoded = new Uint8Array(256);
        encode(decoded, reencoded);
        const again = new Int16Array(256);
        decode(reencoded, again);
        expect(Array.from(again)).to.deep.equal(Array.from(decoded));
      });

      it('has a silence byte equal to the encoding of 0', () => {
        expect(G711_SILENCE[codec]).to.equal(encodeOne(encode, 0));
      });

      it('writes only the first input.length entries of a longer output', () => {
        const out = new Uint8Array(5).fill(0x11);
        encode(Int16Array.of(0, 0, 0), out);
        expect(Array.from(out.subarray(3))).to.deep.equal([0x11, 0x11]);
        const pcm = new Int16Array(4).fill(1234);
        decode(Uint8Array.of(G711_SILENCE[codec]), pcm);
        expect(Array.from(pcm.subarray(1))).to.deep.equal([1234, 1234, 1234]);
      });

      it('throws RangeError when the output is shorter than the input', () => {
        expect(() => encode(new Int16Array(160), new Uint8Array(159))).to.throw(RangeError);
        expect(() => decode(new Uint8Array(160), new Int16Array(159))).to.throw(RangeError);
      });

      it('accepts empty input', () => {
        expect(() => encode(new Int16Array(0), new Uint8Array(0))).not.to.throw();
        expect(() => decode(new Uint8Array(0), new Int16Array(0))).not.to.throw();
      });

      it('decodes a byte range of a packet in place, the same as its copy', () => {
        const packet = new Uint8Array(12 + 160 + 4).fill(0x55);
        packet.set(ALL_CODES.subarray(0, 160), 12);
        const inPlace = new Int16Array(160);
        decode(packet, inPlace, 12, 12 + 160);
        const copied = new Int16Array(160);
        decode(packet.slice(12, 172), copied);
        expect(Array.from(inPlace)).to.deep.equal(Array.from(copied));
        expect(() => decode(packet, new Int16Array(200), 12, packet.length + 1)).to.throw(RangeError);
        expect(() => decode(packet, new Int16Array(200), 20, 12)).to.throw(RangeError);
        expect(() => decode(packet, new Int16Array(10), 0, 11)).to.throw(RangeError);
      });

      it('reads and writes views at an offset into a larger buffer', () => {
        const backing = new ArrayBuffer(64);
        const pcm = new Int16Array(backing, 8, 4);
        pcm.set([0, 1000, -1000, 32767]);
        const g711 = new Uint8Array(new ArrayBuffer(16), 3, 4);
        encode(pcm, g711);
        const expected = new Uint8Array(4);
        encode(Int16Array.of(0, 1000, -1000, 32767), expected);
        expect(Array.from(g711)).to.deep.equal(Array.from(expected));
      });
    });
  }

  it('rejects a codec name that is not G.711', () => {
    expect(() => encoderFor('G729' as G711Codec)).to.throw(RangeError);
    expect(() => decoderFor('opus' as G711Codec)).to.throw(RangeError);
  });

  it('picks the μ-law functions for PCMU and the A-law ones for PCMA', () => {
    expect(encoderFor('PCMU')).to.equal(pcmuEncode);
    expect(decoderFor('PCMU')).to.equal(pcmuDecode);
    expect(encoderFor('PCMA')).to.equal(pcmaEncode);
    expect(decoderFor('PCMA')).to.equal(pcmaDecode);
  });
});
