import { expect } from 'chai';
import { FrameRing } from '../src/frame-ring.ts';

const frame = (tag: number, length = 8): Buffer => Buffer.alloc(length, tag);

describe('FrameRing (caller frames held for the next agent owner)', () => {
  it('returns the newest frames oldest first, at most what it holds, and empties', () => {
    const ring = new FrameRing(3);
    for (let tag = 1; tag <= 5; tag++) ring.push(frame(tag));
    expect(ring.size).to.equal(3);
    expect(ring.takeLast(2).map((f) => f[0])).to.deep.equal([4, 5]);
    expect(ring.size).to.equal(0);
    ring.push(frame(6));
    expect(ring.takeLast(10).map((f) => f[0])).to.deep.equal([6]);
  });

  it('keeps copies: reusing the pushed buffer does not change what is held', () => {
    const ring = new FrameRing(4);
    const reused = frame(1);
    ring.push(reused);
    reused.fill(9);
    ring.push(reused);
    const held = ring.takeLast(2);
    expect([...held[0]!]).to.deep.equal([...frame(1)]);
    expect([...held[1]!]).to.deep.equal([...frame(9)]);
  });

  it('keeps every frame at its own length when a longer one arrives', () => {
    const ring = new FrameRing(4);
    ring.push(frame(1, 4));
    ring.push(frame(2, 6));
    ring.push(frame(3, 2));
    const held = ring.takeLast(3);
    expect(held.map((f) => [f.length, f[0]])).to.deep.equal([
      [4, 1],
      [6, 2],
      [2, 3],
    ]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new FrameRing(0)).to.throw(RangeError, /capacity/);
  });
});
