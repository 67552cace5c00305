import { expect } from 'chai';
import { Reframer } from '../src/index.ts';

/** Samples 1, 2, 3, … so any reordering, loss or duplication shows. */
function ramp(from: number, length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => from + i);
}

/** Pushes the chunks and returns copies of every frame emitted. */
function collect(reframer: Reframer, chunks: Int16Array[]): number[][] {
  const frames: number[][] = [];
  for (const chunk of chunks) reframer.push(chunk, (frame) => frames.push(Array.from(frame)));
  return frames;
}

describe('Reframer', () => {
  it('turns two 10 ms packets into one 20 ms frame', () => {
    const frames = collect(new Reframer(160), [ramp(1, 80), ramp(81, 80)]);
    expect(frames).to.deep.equal([Array.from(ramp(1, 160))]);
  });

  it('turns a 40 ms packet into two 20 ms frames in order', () => {
    const frames = collect(new Reframer(160), [ramp(1, 320)]);
    expect(frames).to.deep.equal([Array.from(ramp(1, 160)), Array.from(ramp(161, 160))]);
  });

  it('turns 30 ms packets into 20 ms frames, carrying the remainder over', () => {
    const reframer = new Reframer(160);
    const frames = collect(reframer, [ramp(1, 240)]);
    expect(frames).to.deep.equal([Array.from(ramp(1, 160))]);
    expect(reframer.pendingSamples).to.equal(80);
    expect(collect(reframer, [ramp(241, 240)])).to.deep.equal([Array.from(ramp(161, 160)), Array.from(ramp(321, 160))]);
    expect(reframer.pendingSamples).to.equal(0);
  });

  it('keeps every sample in order across uneven chunks, one sample long to several frames long', () => {
    const sizes = [1, 159, 7, 500, 0, 33, 160, 161, 2, 317, 1, 1, 98];
    const chunks: Int16Array[] = [];
    let next = 1;
    for (const size of sizes) {
      chunks.push(ramp(next, size));
      next += size;
    }
    const total = next - 1;
    const reframer = new Reframer(160);
    const frames = collect(reframer, chunks);
    expect(frames).to.have.length(Math.floor(total / 160));
    for (const frame of frames) expect(frame).to.have.length(160);
    expect(frames.flat()).to.deep.equal(Array.from(ramp(1, frames.length * 160)));
    expect(reframer.pendingSamples).to.equal(total % 160);
  });

  it('emits nothing until a frame is complete', () => {
    const reframer = new Reframer(160);
    expect(collect(reframer, [ramp(1, 159)])).to.deep.equal([]);
    expect(reframer.pendingSamples).to.equal(159);
  });

  it('hands out the same internal buffer for every frame, so a keeper must copy', () => {
    const reframer = new Reframer(4);
    const seen: Int16Array[] = [];
    reframer.push(ramp(1, 8), (frame) => seen.push(frame));
    expect(seen).to.have.length(2);
    expect(seen[0]).to.equal(seen[1]);
    expect(Array.from(seen[0] as Int16Array)).to.deep.equal([5, 6, 7, 8]);
  });

  it('does not keep a reference to the input chunk', () => {
    const reframer = new Reframer(4);
    const chunk = ramp(1, 2);
    reframer.push(chunk, () => undefined);
    chunk.fill(0);
    expect(collect(reframer, [ramp(3, 2)])).to.deep.equal([[1, 2, 3, 4]]);
  });

  it('flush pads a partial frame with silence and returns it', () => {
    const reframer = new Reframer(6);
    reframer.push(ramp(1, 4), () => undefined);
    const frame = reframer.flush();
    expect(frame && Array.from(frame)).to.deep.equal([1, 2, 3, 4, 0, 0]);
    expect(reframer.pendingSamples).to.equal(0);
  });

  it('flush returns undefined when no samples are pending', () => {
    const reframer = new Reframer(6);
    expect(reframer.flush()).to.equal(undefined);
    reframer.push(ramp(1, 6), () => undefined);
    expect(reframer.flush()).to.equal(undefined);
  });

  it('flush zero-fills the tail even where an earlier frame left samples', () => {
    const reframer = new Reframer(4);
    reframer.push(ramp(1, 5), () => undefined);
    expect(Array.from(reframer.flush() ?? [])).to.deep.equal([5, 0, 0, 0]);
  });

  it('reset drops pending samples, so the next frame starts fresh', () => {
    const reframer = new Reframer(4);
    reframer.push(ramp(1, 3), () => undefined);
    reframer.reset();
    expect(reframer.pendingSamples).to.equal(0);
    expect(collect(reframer, [ramp(10, 4)])).to.deep.equal([[10, 11, 12, 13]]);
  });

  it('stays consistent when onFrame throws: that frame is consumed, the rest of the chunk dropped', () => {
    const reframer = new Reframer(2);
    expect(() =>
      reframer.push(ramp(1, 5), () => {
        throw new Error('boom');
      }),
    ).to.throw('boom');
    expect(reframer.pendingSamples).to.equal(0);
    expect(collect(reframer, [ramp(7, 2)])).to.deep.equal([[7, 8]]);
  });

  it('refuses a frame size that is not a positive integer', () => {
    for (const size of [0, -160, 1.5, Number.NaN]) expect(() => new Reframer(size), `${size}`).to.throw(RangeError);
  });
});
