import { expect } from 'chai';
import { TelephoneEventSender, digitToEvent, parseTelephoneEvent, writeTelephoneEvent } from '../src/index.ts';

interface Sent {
  marker: boolean;
  payloadType: number;
  timestamp: number;
  event: number;
  end: boolean;
  volume: number;
  duration: number;
  last: boolean;
}

/** Calls `next()` once per tick until the sender goes idle; decodes every payload. */
function sendAll(sender: TelephoneEventSender, maxTicks = 1000): Sent[] {
  const out = new Uint8Array(4);
  const sent: Sent[] = [];
  for (let tick = 0; tick < maxTicks; tick++) {
    const packet = sender.next(out);
    if (!packet) break;
    const payload = parseTelephoneEvent(out);
    if (!payload) throw new Error('unparseable payload');
    sent.push({
      marker: packet.marker,
      payloadType: packet.payloadType,
      timestamp: packet.timestamp,
      event: payload.event,
      end: payload.end,
      volume: payload.volume,
      duration: payload.durationSamples,
      last: packet.last,
    });
  }
  return sent;
}

describe('TelephoneEventSender (RFC 4733 out)', () => {
  it('sends a 100 ms "5" at ptime 20 as 4 updates then 3 end packets, all on the start timestamp', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 20 });
    sender.start('5', 123_456);
    const sent = sendAll(sender);
    expect(sent.map((p) => p.duration)).to.deep.equal([160, 320, 480, 640, 800, 800, 800]);
    expect(sent.map((p) => p.end)).to.deep.equal([false, false, false, false, true, true, true]);
    expect(sent.map((p) => p.marker)).to.deep.equal([true, false, false, false, false, false, false]);
    expect(new Set(sent.map((p) => p.timestamp))).to.deep.equal(new Set([123_456]));
    expect(new Set(sent.map((p) => p.payloadType))).to.deep.equal(new Set([101]));
    expect(new Set(sent.map((p) => p.event))).to.deep.equal(new Set([5]));
    expect(sent.map((p) => p.last)).to.deep.equal([false, false, false, false, false, false, true]);
    expect(sender.active).to.equal(false);
  });

  it('writes the payload bytes of the RFC 4733 §2.3 layout: event, E|volume, 16-bit duration', () => {
    const sender = new TelephoneEventSender({ payloadType: 96, ptimeMs: 20, volume: 10, durationMs: 20 });
    sender.start('#', 0);
    const out = new Uint8Array(6);
    sender.next(out, 2);
    expect(Array.from(out)).to.deep.equal([0, 0, 0x0b, 0x8a, 0x00, 0xa0]);
  });

  it('steps the duration by the ptime: 30 ms packets for a 90 ms press', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 30 });
    sender.start('1', 0, 90);
    expect(sendAll(sender).map((p) => [p.duration, p.end])).to.deep.equal([
      [240, false],
      [480, false],
      [720, true],
      [720, true],
      [720, true],
    ]);
  });

  it('rounds the duration up to whole ptimes', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 20 });
    sender.start('1', 0, 90);
    expect(sendAll(sender).at(-1)?.duration).to.equal(800);
  });

  it('sends a press no longer than one ptime as three end packets, the first with the marker', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 20 });
    sender.start('9', 7, 10);
    const sent = sendAll(sender);
    expect(sent.map((p) => [p.marker, p.end, p.duration])).to.deep.equal([
      [true, true, 160],
      [false, true, 160],
      [false, true, 160],
    ]);
  });

  it('ends early at the duration already sent when finished', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 20 });
    sender.start('2', 0, 1000);
    const out = new Uint8Array(4);
    sender.next(out);
    sender.next(out);
    sender.finish();
    expect(sendAll(sender).map((p) => [p.end, p.duration])).to.deep.equal([
      [true, 320],
      [true, 320],
      [true, 320],
    ]);
  });

  it('sends nothing after cancel, and nothing when idle', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 20 });
    expect(sender.next(new Uint8Array(4))).to.equal(undefined);
    sender.start('3', 0);
    sender.cancel();
    expect(sender.next(new Uint8Array(4))).to.equal(undefined);
  });

  it('refuses a second press while one is being sent, and takes the next one after it', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 20 });
    sender.start('3', 0);
    expect(() => sender.start('4', 800)).to.throw(Error);
    sendAll(sender);
    sender.start('4', 1600);
    const sent = sendAll(sender);
    expect(sent[0]).to.include({ marker: true, event: 4, timestamp: 1600 });
  });

  it('keeps a timestamp past 2^32 modulo 2^32', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 20 });
    sender.start('0', 2 ** 32 + 5);
    expect(sendAll(sender)[0]?.timestamp).to.equal(5);
  });

  it('rejects unknown digits, out-of-range payload types and events longer than the duration field', () => {
    const sender = new TelephoneEventSender({ payloadType: 101, ptimeMs: 20 });
    expect(() => sender.start('x', 0)).to.throw(RangeError);
    expect(() => sender.start('1', 0, 9000)).to.throw(RangeError);
    expect(() => new TelephoneEventSender({ payloadType: 128, ptimeMs: 20 })).to.throw(RangeError);
    expect(() => new TelephoneEventSender({ payloadType: 101, ptimeMs: 0.01 })).to.throw(RangeError);
  });

  it('maps keys to event codes: 0–9, *, #, A–D (lower case too)', () => {
    expect(Array.from('0123456789*#ABCDabcd', (d) => digitToEvent(d))).to.deep.equal([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 12, 13, 14, 15,
    ]);
    expect(digitToEvent('E')).to.equal(undefined);
    expect(digitToEvent('12')).to.equal(undefined);
  });

  it('writes an event the parser reads back', () => {
    const out = new Uint8Array(4);
    writeTelephoneEvent(out, 0, 15, true, 63, 65535);
    expect(parseTelephoneEvent(out)).to.deep.equal({ event: 15, end: true, volume: 63, durationSamples: 65535 });
  });
});
