import { expect } from 'chai';
import { pcmuEncode, type ClockSlot } from '@voicebridge/rtp';
import { OutboundQueue } from '../src/outbound-queue.ts';
import type { OutboundSender } from '../src/outbound-sender.ts';
import { PlayoutLag } from '../src/playout-lag.ts';
import type { FakeTime } from './fake-time.ts';
import { senderRig, type SenderRig } from './sender-rig.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

/** The μ-law byte of a sample value. */
function pcmuOf(value: number): number {
  const out = Buffer.alloc(1);
  pcmuEncode(new Int16Array([value]), out);
  return out[0] as number;
}

describe('PlayoutLag: periods a stall skipped, counted against what was queued', () => {
  it('owes the skipped periods the queue could not cover; drops above the target at once, the rest one every 5 sends, silence waited for 5 more', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    lag.skipped(9, 1);
    expect(lag.owed).to.equal(8);
    expect(lag.shed()).to.deep.equal({ now: 4, window: 0, silentOnly: false });
    for (let i = 0; i < 4; i++) lag.paid();
    const sheds = Array.from({ length: 5 }, () => lag.shed());
    expect(sheds.map((s) => s.now)).to.deep.equal([0, 0, 0, 0, 1]);
    expect(sheds[4]).to.deep.equal({ now: 1, window: 5, silentOnly: true });
    lag.paid(); // a silent frame was found
    // None found for 5 more sends after the 5th: then the oldest goes.
    const waited = Array.from({ length: 10 }, () => lag.shed());
    expect(waited.map((s) => (s.now === 0 ? '-' : s.silentOnly ? 's' : 'o')).join('')).to.equal('----sssss' + 'o');
    expect(lag.dropped).to.equal(5);
  });

  it('owes nothing when the queue held the skipped periods’ audio already (queued ahead on purpose)', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    lag.skipped(9, 75);
    expect(lag.owed).to.equal(0);
    expect(lag.shed().now).to.equal(0);
  });

  it('an underrun pays a frame back, but in the three periods right after a stall adds one (that frame is late too)', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    lag.skipped(6, 0);
    for (let i = 0; i < 3; i++) lag.underrun();
    expect(lag.owed).to.equal(9);
    lag.underrun();
    expect(lag.owed).to.equal(8);
    lag.underrun(true); // a period the sender itself ran late
    expect(lag.owed).to.equal(9);
    lag.reset();
    expect(lag.owed).to.equal(0);
  });

  it('refuses a target that is not a whole number of frames', () => {
    expect(() => new PlayoutLag({ targetFrames: 1.5 })).to.throw(RangeError, /targetFrames/);
    expect(() => new PlayoutLag({ targetFrames: 4, shedEveryPeriods: 0 })).to.throw(RangeError, /shedEveryPeriods/);
  });
});

describe('PlayoutLag: a standing queue in front of a source at real time', () => {
  const sends = (lag: PlayoutLag, waits: (number | undefined)[]): void => waits.forEach((w) => lag.sent(w));

  it('over 25 sends, the shortest paced wait less half a period, in whole periods, is owed and shed one per send', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    sends(
      lag,
      Array.from({ length: 24 }, (_, i) => 95 + (i % 3) * 5),
    );
    expect(lag.owed).to.equal(0);
    sends(lag, [110]);
    expect(lag.owed).to.equal(4); // (95 − 10) / 20
    for (let i = 0; i < 4; i++) {
      expect(lag.shed()).to.deep.equal({ now: 1, window: 5, silentOnly: false });
      lag.paid();
    }
    expect(lag.owed).to.equal(0);
    expect(lag.shed().now).to.equal(0);
  });

  it('keeps half a period of slack for the source’s jitter', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    sends(lag, Array(25).fill(29));
    expect(lag.owed).to.equal(0);
    sends(lag, Array(25).fill(30));
    expect(lag.owed).to.equal(1);
  });

  it('measures nothing of audio sent ahead (no paced frame), nor from fewer than 5 paced frames in a window', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    sends(lag, Array(100).fill(undefined));
    sends(lag, [500, 500, 500, 500, ...Array(21).fill(undefined)]);
    expect(lag.owed).to.equal(0);
  });

  it('starts the window again after an underrun, a talkspurt’s first frame or a clear: the queue was empty then', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    for (const restart of [() => lag.underrun(), () => lag.talkspurt(), () => lag.reset()]) {
      sends(lag, Array(24).fill(100));
      restart();
    }
    expect(lag.owed).to.equal(0);
    sends(lag, Array(25).fill(100));
    expect(lag.owed).to.equal(4);
  });

  it('periods a live stream left to silence, then a burst about as long: the burst is owed at once, shed one per send', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    sends(lag, Array(10).fill(5));
    for (let i = 0; i < 5; i++) lag.underrun();
    lag.talkspurt(); // the burst's first frame goes out as it arrives
    lag.sent(undefined, 5); // the next send finds the rest of it queued
    expect(lag.owed).to.equal(5);
    expect(lag.shed()).to.deep.equal({ now: 1, window: 5, silentOnly: false });
  });

  it('owes nothing for a burst much longer than the silence (a reply queued ahead), nor for silence after audio that was not paced', () => {
    const lag = new PlayoutLag({ targetFrames: 4 });
    sends(lag, Array(10).fill(5));
    for (let i = 0; i < 5; i++) lag.underrun();
    lag.sent(undefined, 74);
    expect(lag.owed).to.equal(0);
    sends(lag, Array(10).fill(undefined));
    for (let i = 0; i < 5; i++) lag.underrun();
    lag.sent(undefined, 5);
    expect(lag.owed).to.equal(0);
  });

  it('refuses a window that is not a whole number of sends, and a period that is not positive', () => {
    expect(() => new PlayoutLag({ targetFrames: 4, standingWindow: 0 })).to.throw(RangeError, /standingWindow/);
    expect(() => new PlayoutLag({ targetFrames: 4, periodMs: 0 })).to.throw(RangeError, /periodMs/);
  });
});

describe('OutboundQueue.dropFrame: silence first, else the oldest', () => {
  const frame = (value: number): Int16Array => new Int16Array(160).fill(value);

  it('takes a silent frame within the window, keeping the marks where they are', () => {
    const queue = new OutboundQueue(160, 100);
    queue.pushFrame(frame(1000));
    queue.pushMark('a');
    queue.pushFrame(frame(3));
    queue.pushFrame(frame(2000));
    expect(queue.dropFrame(5)).to.equal(true);
    const left: (string | number)[] = [];
    for (let item = queue.shift(); item; item = queue.shift())
      left.push(item.kind === 'mark' ? item.name : (item.samples[0] as number));
    expect(left).to.deep.equal([1000, 'a', 2000]);
  });

  it('takes the oldest frame when none within the window is silent, and reports false on no frame', () => {
    const queue = new OutboundQueue(160, 100);
    queue.pushMark('m');
    queue.pushFrame(frame(1000));
    queue.pushFrame(frame(2000));
    queue.pushFrame(frame(0));
    expect(queue.dropFrame(2)).to.equal(true);
    expect(queue.frameCount).to.equal(2);
    expect(queue.shift()).to.deep.equal({ kind: 'mark', name: 'm' });
    expect((queue.shift() as { samples: Int16Array }).samples[0]).to.equal(2000);
    queue.shift();
    expect(queue.dropFrame(5)).to.equal(false);
  });
});

/**
 * The sender on a clock in fake time, feeding it the way a stream fed at real time arrives: one
 * frame 7 ms into each period. A stall is time moving 200 ms with nothing run, then the clock's late
 * wake-up and the burst of the frames the source sent meanwhile.
 */
describe('OutboundSender: a stall leaves no standing delay behind a real-time stream', () => {
  let rig: SenderRig;
  let time: FakeTime;
  let queue: OutboundQueue;
  let lag: PlayoutLag;
  let out: OutboundSender;
  let slot: ClockSlot;
  let fed: number;

  beforeEach(async () => {
    // The packets are never read here, only counted as handed over, except where a test listens.
    rig = await senderRig({ maxFrames: 3000 });
    ({ time, queue, lag, out } = rig);
    fed = 0;
    slot = rig.clock.add(20, (at) => out.tick(at));
    time.advance(slot.offsetMs + 40);
  });

  afterEach(() => rig.close());

  /** `paced`: the first frame comes from a source at real time (OutboundPath tells, by arrival). */
  function feed(frames: number, value = 1000, paced = false): void {
    for (let i = 0; i < frames; i++)
      queue.pushFrame(new Int16Array(160).fill(value), paced && i === 0 ? time.now() : -1);
    fed += frames;
    out.audioQueued();
  }

  /**
   * `periods` periods of real-time feeding; returns the frames queued just before each new one.
   * `live`: the frames come as a live source sends them (paced); else as audio queued ahead would.
   */
  function realTime(periods: number, live = true): number[] {
    const standing: number[] = [];
    for (let i = 0; i < periods; i++) {
      time.advance(7);
      standing.push(queue.frameCount);
      feed(1, 1000, live);
      time.advance(13);
    }
    return standing;
  }

  function stall(ms: number): void {
    time.nowMs += ms;
    time.advance(1); // the clock's late wake-up: the current period and one missed one
  }

  it('a live stream: after a 200 ms stall the burst goes out at once into the slots held for it, nothing dropped', () => {
    const before = realTime(25);
    expect(Math.max(...before)).to.be.at.most(1);
    const sentBefore = rig.sent;
    stall(200);
    feed(10); // what the source sent during the stall arrives in one burst
    expect(rig.sent - sentBefore, 'sent at once').to.equal(10);
    const after = realTime(50);
    expect(lag.dropped).to.equal(0);
    expect(Math.max(...after)).to.be.at.most(Math.max(...before));
    expect(fed - queue.frameCount).to.equal(rig.sent - 3); // the 3 silence packets before the stream
  });

  it('audio not paced (queued ahead, or from a source not at real time): after a 200 ms stall the 10 frames it made late are dropped (6 at once, 4 within 800 ms)', () => {
    const before = realTime(25, false);
    expect(Math.max(...before)).to.be.at.most(1);
    stall(200);
    feed(10);
    const after = realTime(50, false);
    expect(lag.dropped).to.equal(10);
    expect(lag.owed).to.equal(0);
    // A second after the stall (its last 5 periods): the queue of before; with no silence to cut,
    // every frame below the target waited the longest (10 sends).
    expect(after.slice(0, 3)).to.deep.equal([3, 3, 3]);
    expect(Math.max(...after.slice(45))).to.be.at.most(Math.max(...before));
    expect(fed - lag.dropped - queue.frameCount).to.be.at.most(rig.sent);
  });

  it('an event loop 35 ms late (no period skipped) leaves no standing delay either, and loses nothing', () => {
    const before = realTime(25);
    // Frames that waited 13 ms for the regular slot: the stream was re-phased to its arrivals.
    expect(out.inTalkspurt).to.equal(true);
    time.nowMs += 34; // the loop is busy 35 ms: the slot runs late twice (once caught up) and finds nothing
    time.advance(1);
    const sentBefore = rig.sent;
    feed(2); // the echo of the two caller packets read after it
    // The live stream's slots were held, not filled with silence: both frames take them at once.
    expect(rig.sent - sentBefore).to.equal(2);
    const after = realTime(50);
    expect(lag.dropped).to.equal(0);
    expect(Math.max(...after.slice(25))).to.be.at.most(Math.max(...before));
  });

  it('sheds the lag below the target from silent frames when the stream has some', async () => {
    const loud = pcmuOf(1000);
    let loudSent = 0;
    let arrived = 0;
    rig.receiver.on('message', (packet: Buffer) => {
      arrived++;
      if (packet[12] === loud) loudSent++;
    });
    // The sender reuses a ring of 8 send buffers: each period's packets must leave before the next.
    const period = async (value: number | undefined): Promise<void> => {
      time.advance(7);
      if (value !== undefined) feed(1, value);
      time.advance(13);
      await waitFor('the period’s packets at the socket', 5000, () => arrived === rig.sent);
    };
    for (let i = 0; i < 25; i++) await period(1000);
    stall(200);
    feed(10); // loud: above the target, the oldest go at once
    await waitFor('the burst’s first packet at the socket', 5000, () => arrived === rig.sent);
    for (let i = 0; i < 50; i++) await period(i % 2 === 0 ? 5 : 1000); // every other frame silent (−76 dBFS)
    await period(undefined);
    expect(queue.frameCount).to.equal(0);
    expect(lag.dropped).to.equal(10);
    // 25 + 10 + 25 loud frames fed; only the 6 dropped at once were loud: the 4 after were silent.
    expect(loudSent).to.equal(25 + 10 + 25 - 6);
  });

  it('a source that paused 200 ms and then sent what it held at once (no stall of ours): sent at once into its held slots', () => {
    const before = realTime(25);
    time.advance(200); // the source is silent: its slots are held, nothing is sent
    feed(10, 1000, true); // what it held, in one burst: only the first frame is paced
    const after = realTime(50);
    expect(after[0]).to.equal(0);
    expect(lag.dropped).to.equal(0);
    expect(Math.max(...after)).to.be.at.most(Math.max(...before));
  });

  it('the same pause from audio not paced (a source not at real time) is left alone: nothing is cut from what may be queued ahead', () => {
    const before = realTime(25, false);
    time.advance(200);
    feed(10);
    const after = realTime(50, false);
    expect(lag.dropped).to.equal(0);
    expect(after[0]).to.be.at.least(9);
    expect(Math.max(...before)).to.be.at.most(1);
  });

  it('cuts nothing from audio queued ahead: a stall in the middle of 3 s of TTS only shifts it', () => {
    feed(150);
    time.advance(500);
    stall(200);
    time.advance(3000);
    expect(lag.dropped).to.equal(0);
    expect(queue.frameCount).to.equal(0);
  });

  it('a stream that ended just before the stall owes nothing by the time its next reply comes', () => {
    realTime(25);
    stall(200);
    time.advance(1000); // no burst: the source had stopped
    expect(lag.owed).to.equal(0);
    feed(50);
    time.advance(1000);
    expect(lag.dropped).to.equal(0);
  });

  it('a clear (barge-in) forgets the lag with the queue', () => {
    realTime(25, false);
    stall(200);
    expect(lag.owed).to.be.greaterThan(0);
    queue.clear();
    lag.reset();
    feed(10);
    time.advance(400);
    expect(lag.dropped).to.equal(0);
  });
});
