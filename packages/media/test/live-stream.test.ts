import { expect } from 'chai';
import { parseRtp, pcmuDecode, encoderFor, type ClockSlot, type RtpPacket } from '@voicebridge/rtp';
import { waitFor } from '../../../test/support/wait-for.ts';
import type { OutboundQueue } from '../src/outbound-queue.ts';
import type { OutboundSender } from '../src/outbound-sender.ts';
import type { PlayoutLag } from '../src/playout-lag.ts';
import type { FakeTime } from './fake-time.ts';
import { senderRig, type SenderRig } from './sender-rig.ts';

/**
 * A stream fed at real time (an echo, a bot or a model streaming live) is sent as it arrives: a slot
 * that finds no frame is held (nothing sent, its timestamp kept) for up to half a second, so a late
 * frame costs neither a period of delay for the rest of the stream nor a dropped frame; a stream
 * whose frames keep waiting for a slot of the wrong phase is re-phased to its arrivals. Audio queued
 * ahead is never held for.
 */
describe('OutboundSender: a live stream is sent as it arrives', () => {
  let rig: SenderRig;
  let time: FakeTime;
  let received: { packet: RtpPacket; value: number }[];
  let queue: OutboundQueue;
  let lag: PlayoutLag;
  let out: OutboundSender;
  let slot: ClockSlot;

  beforeEach(async () => {
    rig = await senderRig();
    ({ time, queue, lag, out } = rig);
    received = [];
    const pcm = new Int16Array(160);
    rig.receiver.on('message', (raw: Buffer) => {
      const packet = parseRtp(raw) as RtpPacket;
      pcmuDecode(raw.subarray(12, 172), pcm);
      received.push({ packet, value: pcm[0] as number });
    });
    slot = rig.clock.add(20, (at) => out.tick(at));
  });

  afterEach(() => rig.close());

  /** Frame `k` of the stream: a constant level that tells it apart at the receiver. */
  const level = (k: number): number => 1000 + 100 * k;

  /** A frame arrives now; `paced`: from a source at real time (OutboundPath stamps its arrival). */
  function arrive(k: number, paced: boolean): void {
    queue.pushFrame(new Int16Array(160).fill(level(k)), paced ? time.now() : -1);
    out.audioQueued();
  }

  /**
   * Moves the fake time on, then waits for what was sent to arrive: the sender reuses a ring of 8
   * send buffers, so each period's packets must leave before the next are encoded.
   */
  async function advance(ms: number): Promise<void> {
    time.advance(ms);
    await waitFor('the packets sent at the receiver', 5000, () => received.length === rig.sent);
  }

  /**
   * A live stream of frames 0 … `frames` − 1, each arriving 7 ms before its slot; `lateFrame`
   * arrives 5 ms after its slot instead. Ends 1 ms after the last frame's slot.
   */
  async function liveStream(frames: number, lateFrame: number): Promise<void> {
    arrive(0, true);
    await advance(slot.offsetMs + 1); // the regular slot sends frame 0
    for (let k = 1; k < frames; k++) {
      if (k === lateFrame) {
        await advance(20); // its slot finds nothing
        expect(received).to.have.length(k);
        await advance(4);
        arrive(k, true);
        await advance(8);
        expect(received).to.have.length(k + 1);
        continue;
      }
      await advance(k === lateFrame + 1 ? 4 : 12);
      arrive(k, true);
      await advance(8);
    }
  }

  async function packets(count: number): Promise<typeof received> {
    await waitFor(`${count} packets at the receiver`, 5000, () => received.length >= count);
    expect(received).to.have.length(count);
    return received;
  }

  const stepsOf = (all: typeof received): number[] =>
    all.slice(1).map((p, i) => ((p.packet.timestamp - (all[i] as (typeof received)[0]).packet.timestamp) | 0) / 160);

  it('sends nothing in the slot of a frame 5 ms late, then the frame at once with that slot’s timestamp: nothing lost, no period added', async () => {
    await liveStream(12, 6);
    expect(queue.frameCount).to.equal(0);
    const all = await packets(12);
    const decoded = pcmDecoded(12);
    expect(all.map((p) => p.value)).to.deep.equal(decoded);
    expect(stepsOf(all)).to.deep.equal(Array(11).fill(1));
    expect(all.map((p) => p.packet.marker)).to.deep.equal([true, ...Array(11).fill(false)]);
    expect(lag.dropped).to.equal(0);
  });

  it('holds a stopped stream’s slots for half a second, then goes on with silence on the wall-clock line', async () => {
    await liveStream(6, -1);
    await packets(6);
    for (let i = 0; i < 30; i++) await advance(20); // the stream stopped: 25 slots held, then 5 of silence
    const all = await packets(11);
    expect(all.slice(6).map((p) => p.value)).to.deep.equal(Array(5).fill(0));
    expect(stepsOf(all)).to.deep.equal([1, 1, 1, 1, 1, 26, 1, 1, 1, 1]);
    expect(lag.dropped).to.equal(0);
  });

  it('holds nothing for audio queued ahead (a TTS reply): silence follows its last frame in the next slot', async () => {
    for (let k = 0; k < 5; k++) arrive(k, false);
    await advance(slot.offsetMs + 1);
    for (let i = 0; i < 6; i++) await advance(20);
    const all = await packets(7);
    expect(all.map((p) => p.value)).to.deep.equal([...pcmDecoded(5), 0, 0]);
    expect(stepsOf(all)).to.deep.equal(Array(6).fill(1));
  });

  it('gives the held slots up when the frames come later than half a second: silence, and the late audio is shed', async () => {
    await liveStream(6, -1);
    for (let i = 0; i < 27; i++) await advance(20); // 25 held, then 2 of silence
    for (let k = 6; k < 33; k++) arrive(k, k === 6); // what the source held, in one burst
    for (let i = 0; i < 30; i++) await advance(20);
    expect(queue.frameCount).to.equal(0);
    const all = await packets(rig.sent);
    expect(stepsOf(all).slice(5, 7)).to.deep.equal([26, 1]);
    // The periods without the stream's audio, then a burst as long: that audio, late, is shed.
    expect(lag.dropped).to.be.greaterThan(10);
  });

  it('re-phases a stream whose frames each waited 13 ms for the regular slot: from the 11th on, each goes out as it arrives', async () => {
    arrive(0, true);
    await advance(slot.offsetMs + 1); // the regular slot sends frame 0
    const sentAtArrival: boolean[] = [];
    for (let k = 1; k < 20; k++) {
      await advance(6); // 13 ms before the regular slot
      const before = rig.sent;
      arrive(k, true);
      sentAtArrival.push(rig.sent > before);
      await advance(14);
    }
    expect(sentAtArrival).to.deep.equal([...Array(10).fill(false), ...Array(9).fill(true)]);
    expect(out.inTalkspurt).to.equal(true);
    const all = await packets(20);
    expect(all.map((p) => p.value)).to.deep.equal(pcmDecoded(20));
    expect(stepsOf(all)).to.deep.equal(Array(19).fill(1));
    expect(all.map((p) => p.packet.marker)).to.deep.equal([true, ...Array(19).fill(false)]);
  });

  it('re-phases a stream with a frame left standing (each waited 33 ms): both go at once, then each as it arrives, nothing dropped', async () => {
    arrive(0, true);
    arrive(1, true); // two at once before the call's first tick: one will stand for good
    await advance(slot.offsetMs + 1);
    const sentAtArrival: number[] = [];
    for (let k = 2; k < 24; k++) {
      await advance(6); // 13 ms before the regular slot
      const before = rig.sent;
      arrive(k, true);
      sentAtArrival.push(rig.sent - before);
      await advance(14);
    }
    const first = sentAtArrival.indexOf(2);
    expect(first, `sent at each arrival: ${sentAtArrival.join(',')}`).to.be.within(8, 11);
    expect(sentAtArrival.slice(0, first)).to.deep.equal(Array(first).fill(0));
    expect(sentAtArrival.slice(first + 1)).to.deep.equal(Array(sentAtArrival.length - first - 1).fill(1));
    expect(queue.frameCount).to.equal(0);
    const all = await packets(24);
    expect(all.map((p) => p.value)).to.deep.equal(pcmDecoded(24));
    expect(stepsOf(all)).to.deep.equal(Array(23).fill(1));
    expect(lag.dropped).to.equal(0);
  });

  it('does not re-phase audio queued ahead, however long its frames wait', async () => {
    for (let k = 0; k < 30; k++) arrive(k, false);
    await advance(slot.offsetMs + 1);
    for (let i = 0; i < 12; i++) {
      await advance(6);
      const before = rig.sent;
      out.audioQueued();
      expect(rig.sent).to.equal(before);
      await advance(14);
    }
    expect(out.inTalkspurt).to.equal(false);
  });

  /** What the receiver decodes for frames 0 … `count` − 1 (G.711 is lossy: compare like with like). */
  function pcmDecoded(count: number): number[] {
    const encode = encoderFor('PCMU');
    const payload = Buffer.alloc(160);
    const pcm = new Int16Array(160);
    return Array.from({ length: count }, (_, k) => {
      encode(new Int16Array(160).fill(level(k)), payload);
      pcmuDecode(payload, pcm);
      return pcm[0] as number;
    });
  }
});
