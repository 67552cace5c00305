import { expect } from 'chai';
import { TelephoneEventReceiver, writeTelephoneEvent } from '../src/index.ts';

function payload(event: number, end: boolean, durationSamples: number): Uint8Array {
  const out = new Uint8Array(4);
  writeTelephoneEvent(out, 0, event, end, 10, durationSamples);
  return out;
}

/** The packets of one press as a sender would send them: updates every 160 samples, `ends` end packets. */
function press(
  receiver: TelephoneEventReceiver,
  ssrc: number,
  timestamp: number,
  event: number,
  updates: number,
  ends: number,
  atMs: number,
): number[] {
  const reported: number[] = [];
  for (let i = 1; i <= updates; i++)
    reported.push(...receiver.push(ssrc, timestamp, payload(event, false, 160 * i), atMs + 20 * i).map((p) => p.event));
  for (let i = 0; i < ends; i++)
    reported.push(
      ...receiver
        .push(ssrc, timestamp, payload(event, true, 160 * (updates + 1)), atMs + 20 * (updates + 1 + i))
        .map((p) => p.event),
    );
  return reported;
}

describe('TelephoneEventReceiver (RFC 4733 in)', () => {
  it('reports a press once, on its first end packet, with the final duration, though the end is sent three times', () => {
    const receiver = new TelephoneEventReceiver();
    const reported = [];
    for (let i = 1; i <= 4; i++) reported.push(...receiver.push(7, 1000, payload(5, false, 160 * i), 20 * i));
    expect(reported).to.deep.equal([]);
    const first = receiver.push(7, 1000, payload(5, true, 800), 100);
    expect(first).to.deep.equal([{ event: 5, durationSamples: 800, endSeen: true, ssrc: 7, timestamp: 1000 }]);
    expect(receiver.push(7, 1000, payload(5, true, 800), 120)).to.deep.equal([]);
    expect(receiver.push(7, 1000, payload(5, true, 800), 140)).to.deep.equal([]);
    expect(receiver.poll(10_000)).to.equal(undefined);
  });

  it('reports a press whose end packets were all lost on the first packet of the next press', () => {
    const receiver = new TelephoneEventReceiver();
    expect(press(receiver, 7, 1000, 1, 5, 0, 0)).to.deep.equal([]);
    const next = receiver.push(7, 3000, payload(2, false, 160), 300);
    expect(next).to.have.length(1);
    expect(next[0]).to.include({ event: 1, endSeen: false, durationSamples: 800, timestamp: 1000 });
  });

  it('reports both when the next press is a single end packet', () => {
    const receiver = new TelephoneEventReceiver();
    press(receiver, 7, 1000, 1, 5, 0, 0);
    expect(receiver.push(7, 3000, payload(2, true, 800), 300).map((p) => p.event)).to.deep.equal([1, 2]);
  });

  it('reports a press whose end packets were all lost after the timeout, and only once', () => {
    const receiver = new TelephoneEventReceiver({ timeoutMs: 500 });
    press(receiver, 7, 1000, 9, 5, 0, 0); // last packet at 100 ms
    expect(receiver.poll(599)).to.equal(undefined);
    expect(receiver.poll(600)).to.include({ event: 9, endSeen: false });
    expect(receiver.poll(700)).to.equal(undefined);
    // A late update of that press is not a new press.
    expect(receiver.push(7, 1000, payload(9, false, 960), 710)).to.deep.equal([]);
    expect(receiver.poll(5000)).to.equal(undefined);
  });

  it('reports the same digit pressed twice as two presses (new timestamp)', () => {
    const receiver = new TelephoneEventReceiver();
    expect(press(receiver, 7, 1000, 4, 3, 3, 0)).to.deep.equal([4]);
    expect(press(receiver, 7, 2600, 4, 3, 3, 200)).to.deep.equal([4]);
  });

  it('ignores late end packets of a press already reported on the next press', () => {
    const receiver = new TelephoneEventReceiver();
    press(receiver, 7, 1000, 1, 3, 0, 0);
    expect(receiver.push(7, 3000, payload(2, false, 160), 100).map((p) => p.event)).to.deep.equal([1]);
    expect(receiver.push(7, 1000, payload(1, true, 640), 110)).to.deep.equal([]);
    expect(receiver.push(7, 3000, payload(2, true, 320), 120).map((p) => p.event)).to.deep.equal([2]);
  });

  it('keys by SSRC too: the same timestamp from a new SSRC is a new press', () => {
    const receiver = new TelephoneEventReceiver();
    expect(press(receiver, 7, 1000, 3, 2, 1, 0)).to.deep.equal([3]);
    expect(press(receiver, 8, 1000, 3, 2, 1, 100)).to.deep.equal([3]);
  });

  it('ignores a payload shorter than 4 octets', () => {
    const receiver = new TelephoneEventReceiver();
    expect(receiver.push(7, 1000, Uint8Array.of(1, 0x80), 0)).to.deep.equal([]);
    expect(receiver.pending).to.equal(undefined);
  });
});
