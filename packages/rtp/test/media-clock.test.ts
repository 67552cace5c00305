import { expect } from 'chai';
import { MediaClock } from '../src/index.ts';
import type { ClockSlot, ClockTimers, MediaClockOptions } from '../src/index.ts';

/**
 * A fake time line with fake timers: time moves only when a test says so, and a timer fires when
 * time reaches its due time plus `lateMs` (how late the event loop is), so nothing depends on the
 * speed of the machine.
 */
class FakeTime implements ClockTimers {
  nowMs = 5000;
  lateMs = 0;
  readonly delays: number[] = [];
  readonly #active = new Map<number, { dueMs: number; callback: () => void }>();
  #lastHandle = 0;

  readonly now = (): number => this.nowMs;

  setTimeout(callback: () => void, delayMs: number): unknown {
    const handle = ++this.#lastHandle;
    this.delays.push(delayMs);
    this.#active.set(handle, { dueMs: this.nowMs + Math.max(delayMs, 1), callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.#active.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.#active.size;
  }

  /** Moves time forward by `ms`, firing each timer (late by `lateMs`) at the time it would fire. */
  advance(ms: number): void {
    const endMs = this.nowMs + ms;
    for (;;) {
      let next: [number, { dueMs: number; callback: () => void }] | undefined;
      for (const entry of this.#active) if (next === undefined || entry[1].dueMs < next[1].dueMs) next = entry;
      if (next === undefined || next[1].dueMs + this.lateMs > endMs) break;
      this.#active.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].dueMs + this.lateMs);
      next[1].callback();
    }
    this.nowMs = endMs;
  }

  /** The event loop was blocked for `ms`: time jumps, then whatever timer is due fires once. */
  stall(ms: number): void {
    this.nowMs += ms;
    this.advance(0);
  }
}

interface Recorder {
  readonly scheduled: number[];
  readonly calledAt: number[];
  readonly onTick: (scheduledAtMs: number) => void;
}

describe('MediaClock', () => {
  let time: FakeTime;
  let clock: MediaClock;
  let origin: number;

  function makeClock(options: MediaClockOptions = {}): MediaClock {
    clock.close();
    clock = new MediaClock({ now: time.now, timers: time, ...options });
    return clock;
  }

  function recorder(): Recorder {
    const scheduled: number[] = [];
    const calledAt: number[] = [];
    return {
      scheduled,
      calledAt,
      onTick: (scheduledAtMs) => {
        scheduled.push(scheduledAtMs - origin);
        calledAt.push(time.nowMs - origin);
      },
    };
  }

  beforeEach(() => {
    time = new FakeTime();
    origin = time.nowMs;
    clock = new MediaClock({ now: time.now, timers: time });
  });

  afterEach(() => clock.close());

  it('reports the worst wake-up lateness since it was last asked, then starts again from 0', () => {
    const r = recorder();
    clock.add(20, r.onTick);
    time.lateMs = 3;
    time.advance(100);
    time.lateMs = 0;
    time.stall(7);
    expect(clock.takeMaxLatenessMs()).to.equal(7);
    expect(clock.takeMaxLatenessMs()).to.equal(0);
    time.lateMs = 2;
    time.advance(100);
    expect(clock.takeMaxLatenessMs()).to.equal(2);
  });

  it('spreads twenty 20 ms subscribers over the offsets 0…19', () => {
    const offsets = Array.from({ length: 20 }, () => clock.add(20, () => undefined).offsetMs);
    expect([...offsets].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });

  it('doubles up only once every offset is taken, keeping the load even', () => {
    const counts = new Array<number>(20).fill(0);
    for (let i = 0; i < 50; i++) {
      const slot = clock.add(20, () => undefined);
      counts[slot.offsetMs] = (counts[slot.offsetMs] as number) + 1;
    }
    expect(Math.max(...counts) - Math.min(...counts)).to.be.at.most(1);
  });

  it('carries 1,500 calls at 75 per offset, each called once per period', () => {
    const counts = new Array<number>(20).fill(0);
    const calls = new Array<number>(1500).fill(0);
    for (let i = 0; i < 1500; i++) {
      const slot = clock.add(20, () => {
        calls[i] = (calls[i] as number) + 1;
      });
      counts[slot.offsetMs] = (counts[slot.offsetMs] as number) + 1;
    }
    expect(new Set(counts)).to.deep.equal(new Set([75]));
    time.advance(999);
    expect(new Set(calls)).to.deep.equal(new Set([50]));
  });

  it('reuses the offset a removed subscriber freed', () => {
    const slots = Array.from({ length: 20 }, () => clock.add(20, () => undefined));
    (slots[7] as ClockSlot).remove();
    expect(clock.add(20, () => undefined).offsetMs).to.equal(7);
  });

  it('places 20 ms subscribers away from the ticks a 10 ms subscriber uses', () => {
    const fast = clock.add(10, () => undefined);
    expect(fast.offsetMs).to.equal(0);
    const offsets = Array.from({ length: 18 }, () => clock.add(20, () => undefined).offsetMs);
    expect(offsets).to.not.include(0).and.not.include(10);
    expect(new Set(offsets).size).to.equal(18);
  });

  it('calls every subscriber once per period, at its offset, with its scheduled time', () => {
    const recorders = Array.from({ length: 20 }, () => recorder());
    const slots = recorders.map((r) => clock.add(20, r.onTick));
    time.advance(999);
    recorders.forEach((r, i) => {
      const offset = (slots[i] as ClockSlot).offsetMs;
      expect(r.scheduled).to.deep.equal(Array.from({ length: 50 }, (_, k) => offset + 20 * k));
    });
  });

  it('never calls a subscriber before its scheduled time', () => {
    time.lateMs = 0.4;
    const r = recorder();
    clock.add(20, r.onTick);
    time.advance(500);
    expect(r.scheduled).to.have.length.greaterThan(20);
    r.scheduled.forEach((at, i) => expect(r.calledAt[i]).to.be.at.least(at));
  });

  it('does not drift when every wake-up is late: the schedule is absolute', () => {
    time.lateMs = 0.9;
    const r = recorder();
    clock.add(20, r.onTick);
    time.advance(20_000);
    // Accumulated setTimeout(20) delays would have fallen ~900 ms (45 periods) behind by now.
    expect(r.scheduled).to.have.length(1000);
    expect(r.scheduled[999]).to.equal(19_980);
    r.scheduled.forEach((at, i) => expect(r.calledAt[i]! - at).to.be.below(2));
  });

  it('shortens the next delay after a late wake-up instead of adding a full period', () => {
    const r = recorder();
    clock.add(20, r.onTick);
    time.advance(0);
    time.lateMs = 7;
    time.advance(27);
    expect(r.scheduled).to.deep.equal([0, 20]);
    expect(time.delays.at(-1)).to.equal(13);
  });

  it('poll runs a due tick at once when the timer is late, and the timer then finds nothing to run', () => {
    time.lateMs = 0.9;
    const r = recorder();
    clock.add(20, r.onTick);
    time.nowMs = origin + 0.05;
    clock.poll();
    expect(r.scheduled).to.deep.equal([0]);
    expect(r.calledAt[0]).to.be.closeTo(0.05, 1e-9);
    time.nowMs = origin + 20.1;
    clock.poll();
    expect(r.scheduled).to.deep.equal([0, 20]);
    expect(r.calledAt[1]).to.be.closeTo(20.1, 1e-9);
    time.advance(1);
    expect(r.scheduled).to.deep.equal([0, 20]);
  });

  it('poll does nothing before the next due tick, and never calls a subscriber early', () => {
    const r = recorder();
    clock.add(20, r.onTick);
    clock.poll();
    expect(r.scheduled).to.deep.equal([0]);
    for (let ms = 0.5; ms < 20; ms += 0.5) {
      time.nowMs = origin + ms;
      clock.poll();
    }
    expect(r.scheduled).to.deep.equal([0]);
  });

  it('poll from inside a subscriber does not run the tick again', () => {
    let calls = 0;
    clock.add(20, () => {
      calls++;
      clock.poll();
    });
    time.advance(1);
    expect(calls).to.equal(1);
  });

  it('poll is a no-op with nobody subscribed and after close', () => {
    clock.poll();
    const r = recorder();
    clock.add(20, r.onTick).remove();
    time.nowMs += 40;
    clock.poll();
    clock.close();
    clock.poll();
    expect(r.scheduled).to.deep.equal([]);
    expect(time.pendingTimers).to.equal(0);
  });

  it('after a stall calls a subscriber for its current period plus one missed one, dropping the rest', () => {
    const r = recorder();
    clock.add(20, r.onTick);
    time.advance(50); // calls at 0, 20, 40
    time.stall(200); // now 250: 60…240 were due
    expect(r.scheduled).to.deep.equal([0, 20, 40, 220, 240]);
    time.advance(60);
    expect(r.scheduled.slice(5)).to.deep.equal([260, 280, 300]);
  });

  it('catches up at most maxCatchUpPeriods missed periods', () => {
    makeClock({ maxCatchUpPeriods: 3 });
    const r = recorder();
    clock.add(20, r.onTick);
    time.advance(10);
    time.stall(500);
    expect(r.scheduled).to.deep.equal([0, 440, 460, 480, 500]);
  });

  it('with maxCatchUpPeriods 0 skips straight to the current period', () => {
    makeClock({ maxCatchUpPeriods: 0 });
    const r = recorder();
    clock.add(20, r.onTick);
    time.advance(10);
    time.stall(95);
    expect(r.scheduled).to.deep.equal([0, 100]);
  });

  it('never sends faster than real time, stalls included', () => {
    const r = recorder();
    clock.add(20, r.onTick);
    for (const step of [3, 250, 7, 41, 1000, 19, 60, 333]) time.stall(step);
    time.advance(400);
    // At any moment, calls so far ≤ periods elapsed since the first scheduled time + 1.
    r.calledAt.forEach((at, i) => expect(i + 1).to.be.at.most(Math.floor(at / 20) + 1));
    for (let i = 1; i < r.scheduled.length; i++) {
      expect(r.scheduled[i]! - r.scheduled[i - 1]!).to.be.at.least(20);
    }
  });

  it('starts a subscriber added later at its next offset, owing nothing for the time before', () => {
    const early = recorder();
    clock.add(20, early.onTick);
    time.advance(105);
    const late = recorder();
    const slot = clock.add(20, late.onTick);
    expect(slot.offsetMs).to.equal(1);
    time.advance(40);
    expect(late.scheduled).to.deep.equal([121, 141]);
  });

  it('owes nothing for time spent with no subscribers', () => {
    clock.add(20, () => undefined).remove();
    time.advance(1000);
    const r = recorder();
    clock.add(20, r.onTick);
    time.advance(30);
    expect(r.scheduled).to.deep.equal([1000, 1020]);
  });

  it('keeps no timer while nobody is subscribed', () => {
    expect(time.pendingTimers).to.equal(0);
    const a = clock.add(20, () => undefined);
    const b = clock.add(20, () => undefined);
    expect(time.pendingTimers).to.equal(1);
    a.remove();
    time.advance(50);
    expect(time.pendingTimers).to.equal(1);
    b.remove();
    expect(time.pendingTimers).to.equal(0);
  });

  it('keeps no timer after the last subscriber removes itself from its own callback', () => {
    const slot = clock.add(20, () => slot.remove());
    time.advance(100);
    expect(time.pendingTimers).to.equal(0);
    expect(clock.size).to.equal(0);
  });

  it('makes remove idempotent and stops the calls', () => {
    const r = recorder();
    const slot = clock.add(20, r.onTick);
    time.advance(30);
    slot.remove();
    slot.remove();
    time.advance(100);
    expect(r.scheduled).to.deep.equal([0, 20]);
    expect(clock.size).to.equal(0);
  });

  it('does not call a subscriber removed earlier in the same tick', () => {
    const calls: string[] = [];
    let second: ClockSlot | undefined;
    clock.add(1, () => {
      calls.push('first');
      second?.remove();
    });
    second = clock.add(1, () => calls.push('second'));
    time.advance(3);
    expect(calls).to.deep.equal(['first', 'first', 'first', 'first']);
  });

  it('does not call a subscriber added from a callback in the tick that added it', () => {
    const r = recorder();
    let added = false;
    clock.add(20, () => {
      if (added) return;
      added = true;
      clock.add(20, r.onTick);
    });
    time.advance(45);
    expect(r.scheduled).to.deep.equal([1, 21, 41]);
  });

  it('keeps calling the others when one subscriber throws, and reports the error', () => {
    const errors: unknown[] = [];
    makeClock({ onError: (error) => errors.push(error) });
    const r = recorder();
    clock.add(1, () => {
      throw new Error('boom');
    });
    clock.add(1, r.onTick);
    time.advance(4);
    expect(r.scheduled).to.deep.equal([0, 1, 2, 3, 4]);
    expect(errors).to.have.length(5);
    expect((errors[0] as Error).message).to.equal('boom');
  });

  it('survives a throwing subscriber without onError, and a throwing onError', () => {
    for (const options of [
      {},
      {
        onError: () => {
          throw new Error('reporter');
        },
      },
    ]) {
      makeClock(options);
      const r = recorder();
      clock.add(1, () => {
        throw new Error('boom');
      });
      clock.add(1, r.onTick);
      time.advance(2);
      expect(r.scheduled.length).to.equal(3);
    }
  });

  it('close clears the timer, stops every subscriber and is idempotent', () => {
    const r = recorder();
    const slot = clock.add(20, r.onTick);
    time.advance(10);
    clock.close();
    expect(time.pendingTimers).to.equal(0);
    clock.close();
    slot.remove();
    time.advance(100);
    expect(r.scheduled).to.deep.equal([0]);
    expect(clock.size).to.equal(0);
  });

  it('close from a callback stops the rest of that tick', () => {
    const calls: string[] = [];
    clock.add(1, () => {
      calls.push('first');
      clock.close();
    });
    clock.add(1, () => calls.push('second'));
    time.advance(10);
    expect(calls).to.deep.equal(['first']);
    expect(time.pendingTimers).to.equal(0);
  });

  it("addAt starts at the caller's time (rounded up to the tick) and keeps that phase", () => {
    clock.add(20, () => undefined); // another call's slot at offset 0
    time.advance(7.4);
    const r = recorder();
    const slot = clock.addAt(20, time.nowMs + 20, r.onTick);
    expect(slot.offsetMs).to.equal(8); // 27.4 rounds up to tick 28, 28 mod 20
    time.advance(80);
    expect(r.scheduled).to.deep.equal([28, 48, 68]);
    expect(r.calledAt.every((at, i) => at >= (r.scheduled[i] as number))).to.equal(true);
    slot.remove();
    time.advance(100);
    expect(r.scheduled).to.have.length(3);
  });

  it('addAt never starts in the past: a time already gone starts at the current tick', () => {
    const r = recorder();
    time.advance(50);
    clock.addAt(20, origin, r.onTick);
    time.advance(45);
    expect(r.scheduled).to.deep.equal([50, 70, 90]);
  });

  it('addAt runs on the same single timer as the other subscribers', () => {
    clock.add(20, () => undefined);
    clock.addAt(20, time.nowMs + 3, () => undefined);
    expect(time.pendingTimers).to.equal(1);
  });

  it('refuses addAt after close, and a time that is not finite', () => {
    expect(() => clock.addAt(20, Number.NaN, () => undefined)).to.throw(/finite/);
    clock.close();
    expect(() => clock.addAt(20, 0, () => undefined)).to.throw(/closed/);
  });

  it('refuses add after close', () => {
    clock.close();
    expect(() => clock.add(20, () => undefined)).to.throw(/closed/);
  });

  it('refuses periods that are not positive multiples of the tick', () => {
    for (const period of [0, -20, 20.5, 10_001, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clock.add(period, () => undefined), `${period}`).to.throw(RangeError);
    }
    makeClock({ tickMs: 5 });
    expect(() => clock.add(12, () => undefined)).to.throw(RangeError);
    expect(clock.add(20, () => undefined).offsetMs).to.equal(0);
    expect(clock.add(20, () => undefined).offsetMs).to.equal(5);
  });

  it('refuses a tick that is not positive and a negative catch-up', () => {
    expect(() => new MediaClock({ tickMs: 0 })).to.throw(RangeError);
    expect(() => new MediaClock({ maxCatchUpPeriods: -1 })).to.throw(RangeError);
  });

  it('runs on the real timers and performance.now() by default, on the period grid', async () => {
    const real = new MediaClock();
    try {
      const scheduled = await new Promise<number[]>((resolve) => {
        const seen: number[] = [];
        const slot = real.add(2, (at) => {
          seen.push(at);
          if (seen.length === 3) {
            slot.remove();
            resolve(seen);
          }
        });
      });
      // On the grid: a whole number of periods apart (more than one only if this box stalled).
      for (let i = 1; i < scheduled.length; i++) {
        const periods = (scheduled[i]! - scheduled[i - 1]!) / 2;
        expect(Math.abs(periods - Math.round(periods))).to.be.below(1e-6);
        expect(Math.round(periods)).to.be.at.least(1);
      }
      expect(real.size).to.equal(0);
    } finally {
      real.close();
    }
  });
});
