import { expect } from 'chai';
import { splitClauses } from '../../src/tts/clauses.ts';
import { decimate } from '../../src/tts/decimate.ts';
import { parseWav, WavFormatError } from '../../src/tts/wav.ts';

function wav(chunks: { id: string; body: Uint8Array }[]): Uint8Array {
  const parts = chunks.flatMap(({ id, body }) => {
    const header = new Uint8Array(8);
    header.set(Buffer.from(id, 'latin1'));
    new DataView(header.buffer).setUint32(4, body.length, true);
    return body.length % 2 ? [header, body, new Uint8Array(1)] : [header, body];
  });
  const size = parts.reduce((sum, part) => sum + part.length, 4);
  const head = new Uint8Array(12);
  head.set(Buffer.from('RIFF', 'latin1'));
  new DataView(head.buffer).setUint32(4, size, true);
  head.set(Buffer.from('WAVE', 'latin1'), 8);
  return Buffer.concat([head, ...parts]);
}

function fmt(rateHz: number, channels = 1, bits = 16): Uint8Array {
  const body = new DataView(new ArrayBuffer(16));
  body.setUint16(0, 1, true);
  body.setUint16(2, channels, true);
  body.setUint32(4, rateHz, true);
  body.setUint32(8, rateHz * channels * 2, true);
  body.setUint16(12, channels * 2, true);
  body.setUint16(14, bits, true);
  return new Uint8Array(body.buffer);
}

const pcm = (...samples: number[]): Uint8Array => new Uint8Array(Int16Array.from(samples).buffer);

describe('parseWav', () => {
  it('finds the data chunk after other chunks instead of assuming a 44-byte header', () => {
    const bytes = wav([
      { id: 'fmt ', body: fmt(16000) },
      { id: 'LIST', body: new Uint8Array(7) },
      { id: 'data', body: pcm(1, -2, 300) },
    ]);
    const parsed = parseWav(bytes);
    expect(parsed.sampleRateHz).to.equal(16000);
    expect(Array.from(parsed.samples)).to.deep.equal([1, -2, 300]);
  });

  it('reads to the end of the file when the data size was never filled in, and mixes stereo down', () => {
    const bytes = wav([
      { id: 'fmt ', body: fmt(8000, 2) },
      { id: 'data', body: pcm(100, 300, -4, -8) },
    ]);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 12, 0xffffffff, true);
    expect(Array.from(parseWav(bytes).samples)).to.deep.equal([200, -6]);
  });

  it('rejects what is not 16-bit PCM WAV', () => {
    expect(() => parseWav(Buffer.from('not a wav file at all'))).to.throw(WavFormatError);
    expect(() =>
      parseWav(
        wav([
          { id: 'fmt ', body: fmt(8000, 1, 8) },
          { id: 'data', body: pcm(1) },
        ]),
      ),
    ).to.throw(WavFormatError, /8-bit/);
    expect(() => parseWav(wav([{ id: 'fmt ', body: fmt(8000) }]))).to.throw(WavFormatError, /no data/);
  });
});

describe('decimate', () => {
  const tone = (hz: number, rateHz: number, samples: number): Int16Array =>
    Int16Array.from({ length: samples }, (_, n) => Math.round(10000 * Math.sin((2 * Math.PI * hz * n) / rateHz)));
  const peak = (samples: Int16Array): number =>
    samples.subarray(100, -100).reduce((max, s) => Math.max(max, Math.abs(s)), 0);

  it('keeps the phone band and removes what would alias into it', () => {
    expect(peak(decimate(tone(1000, 16000, 4000), 16000, 8000))).to.be.within(9500, 10100);
    expect(peak(decimate(tone(6000, 16000, 4000), 16000, 8000))).to.be.below(30);
  });

  it('passes 8 kHz audio through untouched and refuses a non-integer ratio', () => {
    const input = tone(500, 8000, 100);
    expect(decimate(input, 8000, 8000)).to.equal(input);
    expect(() => decimate(input, 22050, 8000)).to.throw(RangeError);
  });
});

describe('splitClauses', () => {
  it('splits at clause punctuation followed by a space, keeping the punctuation and joining short fragments to the next', () => {
    expect(
      splitClauses('Our hours are nine to five, Monday to Friday. Closed on Sundays; sorry! Anything else?'),
    ).to.deep.equal([
      'Our hours are nine to five,',
      'Monday to Friday.',
      'Closed on Sundays;',
      'sorry! Anything else?',
    ]);
  });

  it('does not split numbers or leave short fragments alone', () => {
    expect(splitClauses('Hi, it costs 3.50 euros.')).to.deep.equal(['Hi, it costs 3.50 euros.']);
    expect(splitClauses('A long first clause here. Ok.')).to.deep.equal(['A long first clause here. Ok.']);
  });

  it('bounds the length of a clause at a space', () => {
    const clauses = splitClauses('word '.repeat(200), { maxChars: 50 });
    expect(clauses.every((clause) => clause.length <= 50)).to.equal(true);
    expect(clauses.join(' ')).to.equal('word '.repeat(200).trim());
  });

  it('gives nothing for empty text', () => {
    expect(splitClauses('  \n ')).to.deep.equal([]);
  });
});
