import { expect } from 'chai';
import { OutboundPath } from '../src/outbound-path.ts';

/** The `pacedAtMs` of every frame queued, in order (-1: not paced). */
function pacedTimes(path: OutboundPath): number[] {
  const times: number[] = [];
  for (let item = path.queue.shift(); item; item = path.queue.shift())
    if (item.kind === 'frame') times.push(item.pacedAtMs);
  return times;
}

describe('OutboundPath: audio paced at real time is told from audio sent ahead', () => {
  let nowMs: number;
  let path: OutboundPath;
  beforeEach(() => {
    nowMs = 1000;
    path = new OutboundPath(160, 3000, 4, { nowMs: () => nowMs });
  });

  const at = (ms: number, samples: number, rateHz = 8000): void => {
    nowMs = ms;
    path.pushAudio(new Int16Array(samples).fill(1000), rateHz);
  };

  it('20 ms every 20 ms (an echo, a live bot), a little sooner or later (its jitter): each frame after the first is paced, stamped with its arrival', () => {
    at(1000, 160);
    at(1020, 160);
    at(1038, 160); // 18 ms: 0.9 of 20
    at(1060, 160);
    at(1095, 160); // 35 ms: a late packet
    expect(pacedTimes(path)).to.deep.equal([-1, 1020, 1038, 1060, 1095]);
  });

  it('20 ms every 15 ms is faster than real time, and 20 ms after a pause of 61 ms or more is a new start: not paced', () => {
    at(1000, 160);
    at(1015, 160);
    at(1030, 160);
    at(1091, 160);
    expect(pacedTimes(path)).to.deep.equal([-1, -1, -1, -1]);
  });

  it('the agent queue’s 240 ms slices, one each time media played 240 ms, are never paced (audio queued ahead)', () => {
    for (let i = 0; i < 5; i++) at(1000 + 240 * i, 1920);
    const times = pacedTimes(path);
    expect(times).to.have.length(60);
    expect(times.every((t) => t === -1)).to.equal(true);
  });

  it('nor a burst of 20 ms chunks released together after a 240 ms wait', () => {
    for (let burst = 0; burst < 3; burst++) for (let i = 0; i < 12; i++) at(1000 + 240 * burst + i * 0.05, 160);
    expect(pacedTimes(path).every((t) => t === -1)).to.equal(true);
  });

  it('judges audio at another rate by its length, not its sample count', () => {
    at(1000, 320, 16_000);
    at(1020, 320, 16_000);
    at(1040, 320, 16_000);
    at(1060, 640, 16_000); // 40 ms: still a packet's worth
    at(1100, 1280, 16_000); // 80 ms: longer than a packet
    expect(pacedTimes(path).filter((t) => t >= 0)).to.deep.equal([1020, 1040, 1060]);
  });
});
