import { expect } from 'chai';
import { eventToDigit, parseTelephoneEvent } from '../src/index.ts';

describe('parseTelephoneEvent', () => {
  it('reads digit 5 in progress: volume 10, 160 samples so far', () => {
    expect(parseTelephoneEvent(Uint8Array.of(0x05, 0x0a, 0x00, 0xa0))).to.deep.equal({
      event: 5,
      end: false,
      volume: 10,
      durationSamples: 160,
    });
  });

  it('reads the end bit and a 16-bit duration: # ended after 800 samples', () => {
    expect(parseTelephoneEvent(Uint8Array.of(0x0b, 0x8a, 0x03, 0x20))).to.deep.equal({
      event: 11,
      end: true,
      volume: 10,
      durationSamples: 800,
    });
  });

  it('ignores the reserved R bit', () => {
    expect(parseTelephoneEvent(Uint8Array.of(0x01, 0xca, 0x00, 0x50))).to.include({ end: true, volume: 10 });
    expect(parseTelephoneEvent(Uint8Array.of(0x01, 0x40, 0x00, 0x50))).to.include({ end: false, volume: 0 });
  });

  it('reads the largest volume and duration', () => {
    expect(parseTelephoneEvent(Uint8Array.of(0xff, 0xbf, 0xff, 0xff))).to.deep.equal({
      event: 255,
      end: true,
      volume: 63,
      durationSamples: 65535,
    });
  });

  it('reads a later event of a packed payload at its offset', () => {
    const payload = Uint8Array.of(0x01, 0x8a, 0x03, 0x20, 0x02, 0x0a, 0x00, 0xa0);
    expect(parseTelephoneEvent(payload, 4)).to.deep.equal({ event: 2, end: false, volume: 10, durationSamples: 160 });
  });

  it('returns undefined for fewer than 4 octets', () => {
    expect(parseTelephoneEvent(new Uint8Array(0))).to.equal(undefined);
    expect(parseTelephoneEvent(Uint8Array.of(0x05, 0x0a, 0x00))).to.equal(undefined);
    expect(parseTelephoneEvent(Uint8Array.of(0x05, 0x0a, 0x00, 0xa0, 0x01), 2)).to.equal(undefined);
  });

  it('returns undefined for an offset that is negative or not an integer', () => {
    const payload = Uint8Array.of(0x05, 0x0a, 0x00, 0xa0, 0x05, 0x0a, 0x00, 0xa0);
    expect(parseTelephoneEvent(payload, -1)).to.equal(undefined);
    expect(parseTelephoneEvent(payload, 1.5)).to.equal(undefined);
  });
});

describe('eventToDigit', () => {
  it('maps events 0–15 to 0–9, *, #, A–D', () => {
    const digits = Array.from({ length: 16 }, (_, event) => eventToDigit(event));
    expect(digits.join('')).to.equal('0123456789*#ABCD');
  });

  it('returns undefined for events that are not DTMF keys', () => {
    for (const event of [16, 255, -1, 1.5, Number.NaN]) expect(eventToDigit(event), `${event}`).to.equal(undefined);
  });
});
