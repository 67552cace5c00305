import { expect } from 'chai';
import { emptyRtpPacket, isRtcp, parseRtp, writeRtpHeader } from '../src/index.ts';

/** Bytes from hex, spaces ignored: fixtures read like a packet dump. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

// V=2 P=0 X=0 CC=0 | M=0 PT=0 | seq 0x1234 | ts 0x000000a0 | ssrc 0xdeadbeef | 4 payload bytes
const PLAIN = hex('80 00 1234  000000a0  deadbeef  ffffffff');

describe('parseRtp', () => {
  it('reads the fixed header of a plain PCMU packet', () => {
    expect(parseRtp(PLAIN)).to.deep.equal({
      marker: false,
      payloadType: 0,
      sequenceNumber: 0x1234,
      timestamp: 160,
      ssrc: 0xdeadbeef,
      csrcCount: 0,
      hasExtension: false,
      payloadOffset: 12,
      payloadLength: 4,
    });
  });

  it('reads the marker bit, a dynamic payload type and 32-bit fields as unsigned', () => {
    const packet = parseRtp(hex('80 e5 ffff  ffffffff  80000000  01020304'));
    expect(packet).to.include({
      marker: true,
      payloadType: 101,
      sequenceNumber: 65535,
      timestamp: 0xffffffff,
      ssrc: 0x80000000,
    });
  });

  it('accepts a header with no payload', () => {
    expect(parseRtp(hex('80 08 0001  00000000  00000001'))).to.include({ payloadOffset: 12, payloadLength: 0 });
  });

  it('skips the CSRC list (CC × 4 bytes after the fixed header)', () => {
    const packet = parseRtp(hex('82 00 0001  000000a0  00000001  11111111 22222222  aabbcc'));
    expect(packet).to.include({ csrcCount: 2, payloadOffset: 20, payloadLength: 3, ssrc: 1 });
  });

  it('skips a header extension: 4-byte header, then length × 32-bit words', () => {
    // X=1, profile 0xBEDE (RFC 8285 one-byte), length 2 words
    const packet = parseRtp(hex('90 00 0001  000000a0  00000001  bede0002 10ff0000 00000000  a1a2'));
    expect(packet).to.include({ hasExtension: true, payloadOffset: 24, payloadLength: 2 });
  });

  it('accepts an extension of length 0', () => {
    expect(parseRtp(hex('90 00 0001  000000a0  00000001  bede0000  a1'))).to.include({
      payloadOffset: 16,
      payloadLength: 1,
    });
  });

  it('skips CSRCs and then the extension that follows them', () => {
    const packet = parseRtp(hex('91 00 0001  000000a0  00000001  33333333  bede0001 12345678  c1c2c3'));
    expect(packet).to.include({ csrcCount: 1, hasExtension: true, payloadOffset: 24, payloadLength: 3 });
  });

  it('excludes padding: the last byte counts the padding octets including itself', () => {
    const packet = parseRtp(hex('a0 00 0001  000000a0  00000001  d1d2d3  000003'));
    expect(packet).to.include({ payloadOffset: 12, payloadLength: 3 });
  });

  it('accepts a padding-only packet (padding covering the whole payload)', () => {
    expect(parseRtp(hex('a0 00 0001  000000a0  00000001  00000004'))).to.include({ payloadLength: 0 });
  });

  it('handles padding, CSRC and extension together', () => {
    const packet = parseRtp(hex('b1 00 0001  000000a0  00000001  33333333  bede0001 12345678  c1c2  0002'));
    expect(packet).to.include({ payloadOffset: 24, payloadLength: 2 });
  });

  it('rejects a padding count of 0 (it includes itself, so at least 1)', () => {
    expect(parseRtp(hex('a0 00 0001  000000a0  00000001  d1d2d3  00'))).to.equal(undefined);
  });

  it('rejects padding longer than what follows the header', () => {
    expect(parseRtp(hex('a0 00 0001  000000a0  00000001  d1d2  05'))).to.equal(undefined);
    // A padding count reaching back into the extension is inconsistent too.
    expect(parseRtp(hex('b0 00 0001  000000a0  00000001  bede0001 12345678  02'))).to.equal(undefined);
  });

  it('rejects versions other than 2', () => {
    for (const first of [0x00, 0x40, 0xc0]) {
      const packet = PLAIN.slice();
      packet[0] = first;
      expect(parseRtp(packet), `first byte ${first}`).to.equal(undefined);
    }
  });

  it('rejects anything shorter than the 12-byte fixed header', () => {
    expect(parseRtp(new Uint8Array(0))).to.equal(undefined);
    expect(parseRtp(PLAIN.subarray(0, 11))).to.equal(undefined);
  });

  it('rejects a CSRC list that runs past the end', () => {
    expect(parseRtp(hex('83 00 0001  000000a0  00000001  11111111 22222222'))).to.equal(undefined);
  });

  it('rejects a truncated extension header', () => {
    expect(parseRtp(hex('90 00 0001  000000a0  00000001  bede00'))).to.equal(undefined);
  });

  it('rejects an extension whose length runs past the end', () => {
    expect(parseRtp(hex('90 00 0001  000000a0  00000001  bede0003 00000000 00000000'))).to.equal(undefined);
  });

  it('parses into the record it is given, every field overwritten, and leaves it alone for a bad packet', () => {
    const into = emptyRtpPacket();
    const first = parseRtp(hex('90 80 0001  000000a0  00000001  bede0001 00000000  aabb'), into);
    expect(first).to.equal(into);
    expect(into).to.include({ marker: true, hasExtension: true, payloadOffset: 20, payloadLength: 2 });
    parseRtp(hex('80 08 ffff  ffffffff  00000002  cc'), into);
    expect(into).to.deep.equal({
      marker: false,
      payloadType: 8,
      sequenceNumber: 0xffff,
      timestamp: 0xffffffff,
      ssrc: 2,
      csrcCount: 0,
      hasExtension: false,
      payloadOffset: 12,
      payloadLength: 1,
    });
    expect(parseRtp(hex('40 00 0001'), into)).to.equal(undefined);
    expect(into.ssrc).to.equal(2);
  });

  it('parses a view into a larger buffer, with offsets relative to the view', () => {
    const backing = new Uint8Array(100);
    backing.set(hex('82 00 0001  000000a0  00000001  11111111 22222222  aabbcc'), 37);
    const view = backing.subarray(37, 37 + 23);
    const packet = parseRtp(view);
    expect(packet).to.include({ payloadOffset: 20, payloadLength: 3 });
    expect(Array.from(view.subarray(20, 23))).to.deep.equal([0xaa, 0xbb, 0xcc]);
  });
});

describe('writeRtpHeader', () => {
  it('writes V=2, marker, payload type and the big-endian fields, and returns 12', () => {
    const out = new Uint8Array(12);
    const written = writeRtpHeader(out, 0, {
      marker: true,
      payloadType: 8,
      sequenceNumber: 0x1234,
      timestamp: 0x01020304,
      ssrc: 0xcafebabe,
    });
    expect(written).to.equal(12);
    expect(Buffer.from(out).toString('hex')).to.equal('80881234' + '01020304' + 'cafebabe');
  });

  it('writes at an offset and leaves the bytes around the header alone', () => {
    const out = new Uint8Array(16).fill(0xee);
    writeRtpHeader(out, 2, { marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 160, ssrc: 7 });
    expect(Buffer.from(out).toString('hex')).to.equal('eeee' + '80000001' + '000000a0' + '00000007' + 'eeee');
  });

  it('takes the sequence number modulo 2^16 and timestamp and SSRC modulo 2^32', () => {
    const out = new Uint8Array(12);
    writeRtpHeader(out, 0, {
      marker: false,
      payloadType: 0,
      sequenceNumber: 65536 + 5,
      timestamp: 2 ** 32 + 160,
      ssrc: -1,
    });
    expect(parseRtp(out)).to.include({ sequenceNumber: 5, timestamp: 160, ssrc: 0xffffffff });
  });

  it('round-trips through parseRtp', () => {
    const out = new Uint8Array(12 + 160);
    const header = { marker: true, payloadType: 101, sequenceNumber: 40000, timestamp: 3_000_000_000, ssrc: 42 };
    writeRtpHeader(out, 0, header);
    expect(parseRtp(out)).to.deep.equal({
      ...header,
      csrcCount: 0,
      hasExtension: false,
      payloadOffset: 12,
      payloadLength: 160,
    });
  });

  it('throws RangeError when the header does not fit at the offset', () => {
    const h = { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 };
    expect(() => writeRtpHeader(new Uint8Array(11), 0, h)).to.throw(RangeError);
    expect(() => writeRtpHeader(new Uint8Array(20), 9, h)).to.throw(RangeError);
    expect(() => writeRtpHeader(new Uint8Array(20), -1, h)).to.throw(RangeError);
  });

  it('throws RangeError for a payload type outside 0–127', () => {
    const h = { marker: false, payloadType: 128, sequenceNumber: 0, timestamp: 0, ssrc: 0 };
    expect(() => writeRtpHeader(new Uint8Array(12), 0, h)).to.throw(RangeError);
    expect(() => writeRtpHeader(new Uint8Array(12), 0, { ...h, payloadType: -1 })).to.throw(RangeError);
  });
});

describe('isRtcp', () => {
  it('recognises RTCP sender and receiver reports arriving on the RTP port', () => {
    // RR: V=2 RC=1, PT=201, length 7
    expect(isRtcp(hex('81 c9 0007  00000001'))).to.equal(true);
    // SR: V=2 RC=0, PT=200, length 6
    expect(isRtcp(hex('80 c8 0006  00000001'))).to.equal(true);
  });

  it('treats second octets 192–223 as RTCP and nothing outside them', () => {
    const packet = hex('80 00 0001  00000000  00000001');
    const rtcp: number[] = [];
    for (let second = 0; second < 256; second++) {
      packet[1] = second;
      if (isRtcp(packet)) rtcp.push(second);
    }
    expect(rtcp).to.deep.equal(Array.from({ length: 32 }, (_, i) => 192 + i));
  });

  it('does not take RTP for RTCP, marker bit or not', () => {
    expect(isRtcp(PLAIN)).to.equal(false);
    expect(isRtcp(hex('80 e5 0001  00000000  00000001'))).to.equal(false); // M=1 PT=101
    expect(isRtcp(hex('80 88 0001  00000000  00000001'))).to.equal(false); // M=1 PT=8
  });

  it('says false for input too short to tell or of another version', () => {
    expect(isRtcp(new Uint8Array(0))).to.equal(false);
    expect(isRtcp(Uint8Array.of(0x81))).to.equal(false);
    expect(isRtcp(hex('01 c9 0007'))).to.equal(false);
  });
});
