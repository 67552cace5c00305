import { expect } from 'chai';
import { decodeAudioFrame, type AudioFrame } from '@voicebridge/protocol';
import { parseRtp, pcmuDecode, pcmuEncode, type MediaClock, type RtpPacket } from '@voicebridge/rtp';
import { waitFor } from '../../../test/support/wait-for.ts';
import { InboundPath } from '../src/inbound-path.ts';
import type { OutboundQueue } from '../src/outbound-queue.ts';
import type { OutboundSender } from '../src/outbound-sender.ts';
import type { FakeTime } from './fake-time.ts';
import { senderRig, type SenderRig } from './sender-rig.ts';

function rtpPayload(value: number): Buffer {
  const pcm = new Int16Array(160).fill(value);
  const out = Buffer.alloc(160);
  pcmuEncode(pcm, out);
  return out;
}

describe('InboundPath: caller frames on arrival', () => {
  /** A path, and `push` of one 20 ms packet of constant `value` from SSRC 7 (timestamp 160 · seq unless given). */
  function path(): {
    inbound: InboundPath;
    frames: AudioFrame[];
    push(seq: number, value: number, timestamp?: number): void;
  } {
    const frames: AudioFrame[] = [];
    const inbound = new InboundPath({
      codec: 'PCMU',
      maxDepthMs: 60,
      emit: (message) => frames.push(decodeAudioFrame(message) as AudioFrame),
    });
    const push = (seq: number, value: number, timestamp = 160 * seq): void => {
      const payload = rtpPayload(value);
      inbound.push(payload, 0, payload.length, seq, timestamp, 7);
    };
    return { inbound, frames, push };
  }

  it('delivers an in-order frame to the agent when it arrives, with no clock tick in between', () => {
    const { frames, push } = path();
    for (let i = 0; i < 3; i++) {
      push(10 + i, 1000 * (i + 1), 5000 + 160 * i);
      expect(frames).to.have.length(i + 1);
    }
    expect(frames.map((f) => [f.sampleOffset, f.filled, f.jitterDepthMs])).to.deep.equal([
      [0, false, 0],
      [160, false, 0],
      [320, false, 0],
    ]);
    const decoded = new Int16Array(160);
    pcmuDecode(rtpPayload(2000), decoded);
    expect(frames[1]?.samples[0]).to.equal(decoded[0]);
  });

  it('holds frames behind a lost packet, then conceals it (filled) after the cap and plays on in order', () => {
    const { inbound, frames, push } = path();
    push(0, 1000);
    push(2, 3000);
    expect(frames).to.have.length(1);
    inbound.tick();
    inbound.tick();
    expect(frames).to.have.length(1);
    inbound.tick(); // the gap waited out the 60 ms cap
    expect(frames.map((f) => [f.sampleOffset, f.filled])).to.deep.equal([
      [0, false],
      [160, true],
      [320, false],
    ]);
    expect(frames[2]?.jitterDepthMs).to.equal(0);
    push(1, 2000); // too late now
    push(3, 4000);
    expect(frames.map((f) => f.sampleOffset)).to.deep.equal([0, 160, 320, 480]);
  });

  it('puts a reordered pair back in order as soon as the overtaken packet arrives', () => {
    const { frames, push } = path();
    push(0, 1000);
    push(2, 3000);
    expect(frames[frames.length - 1]?.jitterDepthMs).to.equal(0);
    push(1, 2000);
    expect(frames.map((f) => [f.sampleOffset, f.filled])).to.deep.equal([
      [0, false],
      [160, false],
      [320, false],
    ]);
  });
});

describe('OutboundSender: a talkspurt starts at once', () => {
  let rig: SenderRig;
  let time: FakeTime;
  let clock: MediaClock;
  let received: RtpPacket[];
  let raw: Buffer[];
  let marks: string[];
  let queue: OutboundQueue;
  let out: OutboundSender;
  let active: boolean;

  beforeEach(async () => {
    received = [];
    raw = [];
    marks = [];
    active = true;
    rig = await senderRig({ active: () => active, onMarksPlayed: (names) => marks.push(...names) });
    ({ time, clock, queue, out } = rig);
    rig.receiver.on('message', (packet) => {
      raw.push(packet);
      received.push(parseRtp(packet) as RtpPacket);
    });
  });

  afterEach(() => rig.close());

  async function packets(count: number): Promise<RtpPacket[]> {
    await waitFor(`${count} packets at the receiver`, 5000, () => received.length >= count);
    expect(received).to.have.length(count);
    return received;
  }

  const speech = (value: number): Int16Array => new Int16Array(160).fill(value);

  it('sends the first queued frame without waiting for a tick, marked, on the timestamp line, then paces from then on', async () => {
    const slot = clock.add(20, (at) => out.tick(at));
    time.advance(slot.offsetMs + 40); // three silence packets on the regular slot
    time.advance(7); // agent audio arrives 7 ms after a silence packet
    queue.pushFrame(speech(1000));
    queue.pushFrame(speech(2000));
    queue.pushMark('reply');
    out.audioQueued();
    expect(out.inTalkspurt).to.equal(true);
    await packets(4); // sent at once: the fake clock did not move
    time.advance(20); // the talkspurt's slot: the second frame (and the mark after it)
    await packets(5);
    await waitFor('the mark played', 5000, () => marks.length > 0);
    expect(marks).to.deep.equal(['reply']);
    time.advance(20); // queue empty: the talkspurt ends
    expect(out.inTalkspurt).to.equal(false);
    time.advance(60); // the regular slot again, skipping the timestamps the talkspurt used
    const all = await packets(8);
    const ts = all.map((p) => (p.timestamp - (all[0] as RtpPacket).timestamp) >>> 0);
    expect(ts).to.deep.equal([0, 160, 320, 480, 640, 800, 960, 1120]);
    expect(all.map((p) => p.marker)).to.deep.equal([true, false, false, true, false, false, false, false]);
    const seq = all.map((p) => (p.sequenceNumber - (all[0] as RtpPacket).sequenceNumber) & 0xffff);
    expect(seq).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    const first = new Int16Array(160);
    const payloadOf = (i: number): Buffer => (raw[i] as Buffer).subarray(12, 172);
    pcmuDecode(payloadOf(3), first);
    expect(first[0]).to.be.greaterThan(900);
    pcmuDecode(payloadOf(5), first);
    expect(first[0]).to.equal(0);
  });

  it('keeps steady pacing while a talkspurt is under way on the regular slot', async () => {
    const slot = clock.add(20, (at) => out.tick(at));
    queue.pushFrame(speech(1000));
    time.advance(slot.offsetMs + 1); // the regular slot sends it (audio came before the call's first tick)
    await packets(1);
    time.advance(5);
    queue.pushFrame(speech(2000));
    out.audioQueued(); // speech is under way: no re-phase
    expect(out.inTalkspurt).to.equal(false);
    expect(rig.sent, 'nothing sent before the regular slot: sends happen only inside audioQueued or a tick').to.equal(
      1,
    );
    time.advance(14);
    await packets(2);
  });

  it('sends nothing at once on hold, and a clear ends the talkspurt', async () => {
    const slot = clock.add(20, (at) => out.tick(at));
    time.advance(slot.offsetMs + 5);
    await packets(1);
    active = false;
    queue.pushFrame(speech(1000));
    out.audioQueued();
    expect(out.inTalkspurt).to.equal(false);
    active = true;
    out.audioQueued();
    expect(out.inTalkspurt).to.equal(true);
    queue.pushFrame(speech(2000));
    queue.pushMark('m');
    expect(queue.clear()).to.deep.equal(['m']);
    time.advance(20);
    expect(out.inTalkspurt).to.equal(false);
    await packets(2);
  });
});
