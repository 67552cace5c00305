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
    path = new OutboundPath(160, 3000, 4, () => nowMs);
  });

  const at = (ms: number, samples: number, rateHz = 8000): void => {
    nowMs = ms;
    path.pushAudio(new Int16Array(samples).fill(1000), rateHz);
  };

  it('20 ms every 20 ms (an echo, a live bot), or a little sooner (its jitter): each frame is paced, stamped with its arrival', () => {
    at(1000, 160);
    at(1020, 160);
    at(1038, 160); // 18 ms: 90% of 20
    at(1060, 160);
    expect(pacedTimes(path)).to.deep.equal([1000, 1020, 1038, 1060]);
  });

  it('20 ms every 15 ms is faster than real time: not paced', () => {
    at(1000, 160);
    at(1015, 160);
    at(1030, 160);
    expect(pacedTimes(path)).to.deep.equal([1000, -1, -1]);
  });

  it('a TTS chunk of 1 s, then another 200 ms later: only the first chunk’s first frame is paced', () => {
    at(1000, 8000);
    at(1200, 8000);
    const times = pacedTimes(path);
    expect(times).to.have.length(100);
    expect(times[0]).to.equal(1000);
    expect(times.slice(1).every((t) => t === -1)).to.equal(true);
  });

  it('a chunk that comes once the one before could have played is paced again (a source slower than real time)', () => {
    at(1000, 800); // 100 ms
    at(1100, 800);
    expect(pacedTimes(path).filter((t) => t >= 0)).to.deep.equal([1000, 1100]);
  });

  it('judges audio at another rate by its length, not its sample count', () => {
    at(1000, 320, 16_000);
    at(1020, 320, 16_000);
    at(1040, 320, 16_000);
    expect(pacedTimes(path).filter((t) => t >= 0)).to.deep.equal([1000, 1020, 1040]);
  });
});
