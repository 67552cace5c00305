import { expect } from 'chai';
import { fadeOut } from '../src/fade-out.ts';
import { OutboundQueue } from '../src/outbound-queue.ts';

const FRAME = 160;
const tone = (amplitude: number): Int16Array =>
  Int16Array.from({ length: FRAME }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / 8000)));

describe('clear with a fade-out (barge-in without a click)', () => {
  it('keeps only the next frame, faded from full gain to silence, and reports every mark unplayed', () => {
    const queue = new OutboundQueue(FRAME, 100);
    for (let i = 0; i < 5; i++) {
      queue.pushFrame(new Int16Array(FRAME).fill(10_000));
      queue.pushMark(`m${i}`);
    }
    expect(queue.clear(FRAME)).to.deep.equal(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(queue.frameCount).to.equal(1);
    const item = queue.shift();
    expect(item?.kind).to.equal('frame');
    const samples = (item as { samples: Int16Array }).samples;
    expect(samples[0]).to.be.within(9_990, 10_000);
    // The gain only falls, and the frame ends in silence: no step anywhere.
    for (let i = 1; i < FRAME; i++) expect(samples[i]).to.be.at.most(samples[i - 1] as number);
    expect(samples[FRAME - 1]).to.equal(0);
    expect(samples[FRAME / 2]).to.be.within(4_900, 5_100);
    expect(queue.shift()).to.equal(undefined);
  });

  it('without a fade (closing) drops everything, and an empty queue stays empty either way', () => {
    const queue = new OutboundQueue(FRAME, 100);
    queue.pushFrame(tone(8000));
    expect(queue.clear()).to.deep.equal([]);
    expect(queue.frameCount).to.equal(0);
    expect(queue.clear(FRAME)).to.deep.equal([]);
    expect(queue.shift()).to.equal(undefined);
  });

  it('the largest step between samples of a faded tone stays that of the tone itself', () => {
    const samples = tone(20_000);
    const before = Math.max(...samples.slice(1).map((s, i) => Math.abs(s - (samples[i] as number))));
    fadeOut(samples, 120);
    const after = Math.max(...samples.slice(1).map((s, i) => Math.abs(s - (samples[i] as number))));
    expect(after).to.be.at.most(before);
    expect(Array.from(samples.slice(120))).to.deep.equal(new Array(40).fill(0));
  });
});
