import { expect } from 'chai';
import { JitterBuffer } from '../src/index.ts';
import type { JitterBufferOptions } from '../src/index.ts';

const FRAME = 160;
const SSRC = 0x11223344;

function buffer(options: Partial<JitterBufferOptions> = {}): JitterBuffer {
  return new JitterBuffer({ frameSamples: FRAME, sampleRateHz: 8000, ...options });
}

/** A packet whose every sample is `value`, so the frame it lands in shows where it went. */
function packet(value: number, length = FRAME): Int16Array {
  return new Int16Array(length).fill(value);
}

interface Played {
  value: number | 'zeros' | 'mixed';
  filled: boolean;
  timestamp: number;
}

/** Pops until undefined; summarises each frame by its samples. */
function drain(jb: JitterBuffer): Played[] {
  const out: Played[] = [];
  for (let frame = jb.pop(); frame !== undefined; frame = jb.pop()) {
    const first = frame.samples[0] as number;
    const uniform = frame.samples.every((s) => s === first);
    out.push({
      value: uniform ? (first === 0 ? 'zeros' : first) : 'mixed',
      filled: frame.filled,
      timestamp: frame.timestamp,
    });
  }
  return out;
}

describe('JitterBuffer', () => {
  it('plays nothing before the first packet', () => {
    expect(buffer().pop()).to.equal(undefined);
  });

  it('plays in-order 20 ms packets one frame per pop, with their timestamps', () => {
    const jb = buffer();
    jb.push(100, 8000, SSRC, packet(1));
    jb.push(101, 8160, SSRC, packet(2));
    expect(drain(jb)).to.deep.equal([
      { value: 1, filled: false, timestamp: 8000 },
      { value: 2, filled: false, timestamp: 8160 },
    ]);
  });

  it('puts packets that arrive out of order back in order', () => {
    const jb = buffer();
    jb.push(100, 0, SSRC, packet(1));
    jb.push(102, 320, SSRC, packet(3));
    jb.push(101, 160, SSRC, packet(2));
    expect(drain(jb).map((p) => p.value)).to.deep.equal([1, 2, 3]);
  });

  it('waits for an overtaken packet instead of concealing it at once', () => {
    const jb = buffer({ lossAfterMs: 40 });
    jb.push(100, 0, SSRC, packet(1));
    jb.push(102, 320, SSRC, packet(3));
    expect(drain(jb).map((p) => p.value)).to.deep.equal([1]);
    jb.push(101, 160, SSRC, packet(2));
    expect(drain(jb).map((p) => p.value)).to.deep.equal([2, 3]);
  });

  it('zero-fills a lost frame and flags it, once later audio has arrived', () => {
    const jb = buffer();
    jb.push(100, 0, SSRC, packet(1));
    jb.push(102, 320, SSRC, packet(3));
    expect(drain(jb)).to.deep.equal([
      { value: 1, filled: false, timestamp: 0 },
      { value: 'zeros', filled: true, timestamp: 160 },
      { value: 3, filled: false, timestamp: 320 },
    ]);
    expect(jb.stats.framesFilled).to.equal(1);
  });

  it('drops a duplicate packet and counts it', () => {
    const jb = buffer();
    expect(jb.push(100, 0, SSRC, packet(1))).to.equal('accepted');
    expect(jb.push(100, 0, SSRC, packet(9))).to.equal('duplicate');
    expect(drain(jb).map((p) => p.value)).to.deep.equal([1]);
    expect(jb.stats.duplicates).to.equal(1);
  });

  it('drops a packet that arrives after its frame was played', () => {
    const jb = buffer();
    jb.push(100, 0, SSRC, packet(1));
    jb.push(102, 320, SSRC, packet(3));
    drain(jb);
    expect(jb.push(101, 160, SSRC, packet(2))).to.equal('late');
    expect(jb.stats.late).to.equal(1);
  });

  it('assembles 10 ms packets into 20 ms frames and flags a frame missing one half', () => {
    const jb = buffer();
    jb.push(1, 0, SSRC, packet(1, 80));
    jb.push(2, 80, SSRC, packet(1, 80));
    jb.push(3, 160, SSRC, packet(2, 80));
    // seq 4 (timestamp 240) lost
    jb.push(5, 320, SSRC, packet(3, 80));
    jb.push(6, 400, SSRC, packet(3, 80));
    const played = drain(jb);
    expect(played.map((p) => p.filled)).to.deep.equal([false, true, false]);
    expect(played[1]?.value).to.equal('mixed');
  });

  it('splits 30 ms packets across 20 ms frames', () => {
    const jb = buffer();
    jb.push(1, 0, SSRC, packet(7, 240));
    expect(drain(jb).map((p) => p.value)).to.deep.equal([7]);
    jb.push(2, 240, SSRC, packet(7, 240));
    expect(drain(jb).map((p) => p.value)).to.deep.equal([7, 7]);
  });

  it('holds the playout point while nothing has arrived, so a delayed packet is still played', () => {
    const jb = buffer();
    jb.push(1, 0, SSRC, packet(1));
    expect(drain(jb).map((p) => p.value)).to.deep.equal([1]);
    expect(jb.pop()).to.equal(undefined);
    expect(jb.pop()).to.equal(undefined);
    expect(jb.push(2, 160, SSRC, packet(2))).to.equal('accepted');
    expect(drain(jb).map((p) => p.value)).to.deep.equal([2]);
    expect(jb.stats.underruns).to.be.greaterThan(0);
  });

  it('survives the 16-bit sequence number wrap', () => {
    const jb = buffer();
    jb.push(65535, 0, SSRC, packet(1));
    jb.push(1, 320, SSRC, packet(3));
    jb.push(0, 160, SSRC, packet(2));
    expect(drain(jb).map((p) => p.value)).to.deep.equal([1, 2, 3]);
  });

  it('survives the 32-bit timestamp wrap', () => {
    const jb = buffer();
    const start = 2 ** 32 - 160;
    jb.push(10, start, SSRC, packet(1));
    jb.push(12, 160, SSRC, packet(3));
    jb.push(11, 0, SSRC, packet(2));
    expect(drain(jb)).to.deep.equal([
      { value: 1, filled: false, timestamp: start },
      { value: 2, filled: false, timestamp: 0 },
      { value: 3, filled: false, timestamp: 160 },
    ]);
  });

  it('caps depth at 60 ms by dropping the oldest frames', () => {
    const jb = buffer();
    for (let i = 0; i < 5; i++) jb.push(i, i * FRAME, SSRC, packet(i + 1));
    expect(jb.depthMs).to.equal(60);
    expect(jb.stats.framesDropped).to.equal(2);
    expect(drain(jb).map((p) => p.value)).to.deep.equal([3, 4, 5]);
  });

  it('reports current and largest depth in ms, the largest per turn', () => {
    const jb = buffer();
    jb.push(1, 0, SSRC, packet(1));
    jb.push(2, 160, SSRC, packet(2));
    expect(jb.depthMs).to.equal(40);
    jb.pop();
    expect(jb.depthMs).to.equal(20);
    expect(jb.takeMaxDepthMs()).to.equal(40);
    expect(jb.maxDepthMs).to.equal(20);
  });

  it('skips ahead to a packet beyond the whole window (a talkspurt after silence)', () => {
    const jb = buffer();
    jb.push(1, 0, SSRC, packet(1));
    drain(jb);
    jb.push(2, 80_000, SSRC, packet(2));
    expect(drain(jb)).to.deep.equal([{ value: 2, filled: false, timestamp: 80_000 }]);
    expect(jb.stats.resyncs).to.equal(1);
  });

  it('re-anchors when a newer sequence number carries a timestamp behind playout', () => {
    const jb = buffer();
    jb.push(1, 50_000, SSRC, packet(1));
    drain(jb);
    expect(jb.push(2, 1000, SSRC, packet(2))).to.equal('accepted');
    expect(drain(jb)).to.deep.equal([{ value: 2, filled: false, timestamp: 1000 }]);
  });

  it('starts over when the SSRC changes', () => {
    const jb = buffer();
    jb.push(1, 0, SSRC, packet(1));
    jb.push(2, 160, SSRC, packet(2));
    jb.pop();
    jb.push(500, 999_999, 0xabcdef01, packet(5));
    expect(drain(jb)).to.deep.equal([{ value: 5, filled: false, timestamp: 999_999 }]);
    expect(jb.stats.ssrcChanges).to.equal(1);
  });

  it('trims a frame of depth that has not been needed for shrinkAfterFrames pops', () => {
    const jb = buffer({ shrinkAfterFrames: 3 });
    let seq = 0;
    jb.push(seq, seq * FRAME, SSRC, packet(1));
    seq++;
    for (let tick = 0; tick < 6; tick++) {
      jb.push(seq, seq * FRAME, SSRC, packet(1));
      seq++;
      jb.pop();
    }
    expect(jb.stats.framesDropped).to.be.greaterThan(0);
    expect(jb.depthMs).to.be.at.most(20);
  });

  it('forgets everything on reset', () => {
    const jb = buffer();
    jb.push(1, 0, SSRC, packet(1));
    jb.reset();
    expect(jb.pop()).to.equal(undefined);
    expect(jb.push(1, 0, SSRC, packet(4))).to.equal('accepted');
    expect(drain(jb).map((p) => p.value)).to.deep.equal([4]);
  });

  it('ignores a packet with no audio: it neither starts a stream nor adds depth', () => {
    const jb = buffer();
    expect(jb.push(1, 0, SSRC, new Int16Array(0))).to.equal('empty');
    expect(jb.pop()).to.equal(undefined);
    jb.push(2, 160, SSRC, packet(2));
    expect(jb.push(3, 480, SSRC, packet(9), 0)).to.equal('empty');
    expect(jb.depthMs).to.equal(20);
  });

  it('rejects a packet longer than the whole buffer', () => {
    expect(buffer().push(1, 0, SSRC, packet(1, 481))).to.equal('oversized');
  });

  it('returns the same frame object and buffer every pop (no allocation per frame)', () => {
    const jb = buffer();
    jb.push(1, 0, SSRC, packet(1));
    jb.push(2, 160, SSRC, packet(2));
    const a = jb.pop();
    const samplesA = a?.samples;
    const b = jb.pop();
    expect(b).to.equal(a);
    expect(b?.samples).to.equal(samplesA);
  });

  /**
   * A 20 ms sender whose packets each take 0…`jitterMs` (uniform) to arrive; the receiver pops on its
   * own 20 ms clock. Simulated time, so the test is deterministic and has no timing in it.
   */
  function simulate(jitterMs: number): { jb: JitterBuffer; played: number; filled: number } {
    const jb = buffer();
    let seed = 11;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const count = 3000;
    const arrivals = Array.from({ length: count }, (_, n) => ({ n, atMs: n * 20 + random() * jitterMs }));
    arrivals.sort((a, b) => a.atMs - b.atMs);
    let next = 0;
    let played = 0;
    let filled = 0;
    for (let nowMs = 0; nowMs < count * 20 + 200; nowMs += 20) {
      for (; next < arrivals.length && (arrivals[next]?.atMs as number) <= nowMs + 7; next++) {
        const n = arrivals[next]?.n as number;
        jb.push(n, n * FRAME, SSRC, packet(1));
      }
      const frame = jb.pop();
      if (frame) {
        played++;
        if (frame.filled) filled++;
      }
    }
    return { jb, played, filled };
  }

  it('stays at one frame of depth on a network without jitter, and plays every frame', () => {
    const { jb, played, filled } = simulate(0);
    expect([played, filled, jb.maxDepthMs]).to.deep.equal([3000, 0, 20]);
  });

  it('absorbs 0–30 ms of network jitter: under 1% concealed or dropped, never deeper than 60 ms', () => {
    const { jb, filled } = simulate(30);
    expect(filled + jb.stats.framesDropped).to.be.below(30);
    expect(jb.maxDepthMs).to.be.at.most(60);
  });

  it('plays a long reordered, duplicated, lossy stream in timestamp order without gaps', () => {
    const jb = buffer({ shrinkAfterFrames: 1000 });
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const timestamps: number[] = [];
    let pending: number[] = [];
    for (let n = 0; n < 500; n++) {
      if (random() > 0.05) pending.push(n);
      if (random() < 0.05 && n > 0) pending.push(n - 1);
      if (pending.length >= 2 && random() < 0.3)
        pending = [pending[1] as number, pending[0] as number, ...pending.slice(2)];
      for (const p of pending) jb.push(p & 0xffff, (p * FRAME + 4_294_000_000) >>> 0, SSRC, packet((p % 1000) + 1));
      pending = [];
      const frame = jb.pop();
      if (frame) timestamps.push(frame.timestamp);
    }
    for (let i = 1; i < timestamps.length; i++) {
      expect(((timestamps[i] as number) - (timestamps[i - 1] as number)) >>> 0).to.equal(FRAME);
    }
    expect(timestamps.length).to.be.greaterThan(450);
  });
});

describe('JitterBuffer arrival-driven playout (popReady/age)', () => {
  function ready(jb: JitterBuffer): Played[] {
    const out: Played[] = [];
    for (let frame = jb.popReady(); frame !== undefined; frame = jb.popReady()) {
      const first = frame.samples[0] as number;
      const uniform = frame.samples.every((s) => s === first);
      out.push({
        value: uniform ? (first === 0 ? 'zeros' : first) : 'mixed',
        filled: frame.filled,
        timestamp: frame.timestamp,
      });
    }
    return out;
  }

  it('gives each in-order packet back at once and holds nothing', () => {
    const jb = buffer();
    for (let i = 0; i < 5; i++) {
      jb.push(i, i * FRAME, SSRC, packet(i + 1));
      expect(ready(jb)).to.deep.equal([{ value: i + 1, filled: false, timestamp: i * FRAME }]);
      expect(jb.depthMs).to.equal(0);
    }
  });

  it('holds frames behind a gap and releases them in order when the overtaken packet arrives', () => {
    const jb = buffer();
    jb.push(0, 0, SSRC, packet(1));
    expect(ready(jb)).to.have.length(1);
    jb.push(2, 2 * FRAME, SSRC, packet(3));
    expect(ready(jb)).to.deep.equal([]);
    expect(jb.depthMs).to.equal(40);
    jb.push(1, FRAME, SSRC, packet(2));
    expect(ready(jb).map((p) => p.value)).to.deep.equal([2, 3]);
    expect(jb.stats.framesFilled).to.equal(0);
  });

  it('conceals a lost frame once the audio behind it fills the 60 ms cap, flagged filled, then plays the rest', () => {
    const jb = buffer();
    jb.push(0, 0, SSRC, packet(1));
    ready(jb);
    jb.push(2, 2 * FRAME, SSRC, packet(3));
    expect(ready(jb)).to.deep.equal([]);
    jb.push(3, 3 * FRAME, SSRC, packet(4));
    expect(ready(jb)).to.deep.equal([
      { value: 'zeros', filled: true, timestamp: FRAME },
      { value: 3, filled: false, timestamp: 2 * FRAME },
      { value: 4, filled: false, timestamp: 3 * FRAME },
    ]);
    jb.push(1, FRAME, SSRC, packet(2));
    expect(ready(jb)).to.deep.equal([]);
    expect(jb.stats.late).to.equal(1);
  });

  it('conceals a gap after age() counted the cap when no more audio comes', () => {
    const jb = buffer();
    jb.push(0, 0, SSRC, packet(1));
    ready(jb);
    jb.push(2, 2 * FRAME, SSRC, packet(3));
    jb.age();
    jb.age();
    expect(ready(jb)).to.deep.equal([]);
    jb.age();
    expect(ready(jb).map((p) => [p.value, p.filled])).to.deep.equal([
      ['zeros', true],
      [3, false],
    ]);
  });

  it('does not age a buffer with nothing outstanding', () => {
    const jb = buffer();
    jb.push(0, 0, SSRC, packet(1));
    ready(jb);
    for (let i = 0; i < 10; i++) jb.age();
    jb.push(2, 2 * FRAME, SSRC, packet(3));
    expect(ready(jb)).to.deep.equal([]);
  });

  it('waits for the second half of a frame from 10 ms packets, and plays duplicates once', () => {
    const jb = buffer();
    jb.push(0, 0, SSRC, packet(1, 80));
    expect(ready(jb)).to.deep.equal([]);
    jb.push(0, 0, SSRC, packet(1, 80));
    expect(jb.stats.duplicates).to.equal(1);
    jb.push(1, 80, SSRC, packet(1, 80));
    expect(ready(jb)).to.deep.equal([{ value: 1, filled: false, timestamp: 0 }]);
  });

  it('plays across the timestamp and sequence wraps and restarts on a new SSRC', () => {
    const jb = buffer();
    const start = 2 ** 32 - FRAME;
    jb.push(0xffff, start, SSRC, packet(1));
    jb.push(0, 0, SSRC, packet(2));
    expect(ready(jb).map((p) => p.timestamp)).to.deep.equal([start, 0]);
    jb.push(7, 5000, SSRC + 1, packet(3));
    expect(ready(jb)).to.deep.equal([{ value: 3, filled: false, timestamp: 5000 }]);
    expect(jb.stats.ssrcChanges).to.equal(1);
  });
});
