import { expect } from 'chai';
import {
  decodeAudioFrame,
  decodeControlJson,
  encodeAudioFrame,
  encodeControl,
  AUDIO_HEADER_BYTES,
} from '../src/index.ts';

describe('audio frame', () => {
  it('round-trips samples, rate, offset and the filled flag', () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    const buf = encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 2 ** 40 + 160, samples, filled: true });
    expect(buf.length).to.equal(AUDIO_HEADER_BYTES + samples.length * 2);
    expect(buf.readInt16LE(AUDIO_HEADER_BYTES + 6)).to.equal(32767);
    const back = decodeAudioFrame(buf);
    expect(back?.sampleRateHz).to.equal(8000);
    expect(back?.sampleOffset).to.equal(2 ** 40 + 160);
    expect(back?.filled).to.equal(true);
    expect([...(back?.samples ?? [])]).to.deep.equal([...samples]);
  });

  it('carries the jitter buffer depth in the former reserved field (0 when the writer sets none)', () => {
    const samples = new Int16Array(160);
    expect(
      decodeAudioFrame(
        encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 0, samples, filled: false, jitterDepthMs: 40 }),
      )?.jitterDepthMs,
    ).to.equal(40);
    expect(
      decodeAudioFrame(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 0, samples, filled: false }))
        ?.jitterDepthMs,
    ).to.equal(0);
    expect(
      decodeAudioFrame(
        encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 0, samples, filled: false, jitterDepthMs: 1e6 }),
      )?.jitterDepthMs,
    ).to.equal(0xffff);
  });

  it('with a scratch array: a view of an aligned message, a copy into the scratch from an odd offset, a new array when the scratch is short', () => {
    const frame = encodeAudioFrame({
      sampleRateHz: 8000,
      sampleOffset: 0,
      samples: Int16Array.from([7, -7, 9]),
      filled: false,
    });
    const scratch = new Int16Array(4);
    const aligned = Buffer.alloc(frame.length + 2);
    frame.copy(aligned, 2);
    const view = decodeAudioFrame(aligned.subarray(2), scratch)?.samples;
    expect([...(view ?? [])]).to.deep.equal([7, -7, 9]);
    expect(view?.buffer).to.equal(aligned.buffer);
    const odd = Buffer.alloc(frame.length + 1);
    frame.copy(odd, 1);
    const copied = decodeAudioFrame(odd.subarray(1), scratch)?.samples;
    expect([...(copied ?? [])]).to.deep.equal([7, -7, 9]);
    expect(copied?.buffer).to.equal(scratch.buffer);
    const short = new Int16Array(2);
    const fresh = decodeAudioFrame(odd.subarray(1), short)?.samples;
    expect([...(fresh ?? [])]).to.deep.equal([7, -7, 9]);
    expect(fresh?.buffer).to.not.equal(short.buffer);
  });

  it('decodes from an odd byte offset inside a larger buffer', () => {
    const frame = encodeAudioFrame({
      sampleRateHz: 8000,
      sampleOffset: 0,
      samples: Int16Array.from([5, -5]),
      filled: false,
    });
    const big = Buffer.alloc(frame.length + 1);
    frame.copy(big, 1);
    expect([...(decodeAudioFrame(big.subarray(1))?.samples ?? [])]).to.deep.equal([5, -5]);
  });

  it('rejects a frame whose length disagrees with its sample count, a bad rate, or another kind', () => {
    const frame = encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 0, samples: new Int16Array(4), filled: false });
    expect(decodeAudioFrame(frame.subarray(0, frame.length - 1))).to.equal(undefined);
    const badRate = Buffer.from(frame);
    badRate.writeUInt32LE(1, 4);
    expect(decodeAudioFrame(badRate)).to.equal(undefined);
    expect(decodeAudioFrame(encodeControl({ event: 'ready' }))).to.equal(undefined);
  });

  it('round-trips control JSON and refuses garbage', () => {
    expect(decodeControlJson(encodeControl({ event: 'mark', name: 'x' }))).to.deep.equal({ event: 'mark', name: 'x' });
    expect(decodeControlJson(Buffer.from([2, 0x7b]))).to.equal(undefined);
    expect(decodeControlJson(Buffer.from([1, 0x7b, 0x7d]))).to.equal(undefined);
  });
});
