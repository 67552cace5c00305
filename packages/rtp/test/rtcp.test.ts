import { expect } from 'chai';
import { parseRtcp, writeReceiverReport, writeSdesCname, writeSenderReport } from '../src/index.ts';
import type { ReportBlock, SenderInfo } from '../src/index.ts';

/** RFC 3550 §6.4.1 SR, one report block, laid out word by word as in the RFC diagram. */
const SR_ONE_BLOCK = Uint8Array.of(
  ...[0x81, 0xc8, 0x00, 0x0c], // V=2 P=0 RC=1, PT=200, length 12 (13 words)
  ...[0x11, 0x22, 0x33, 0x44], // SSRC of sender
  ...[0x83, 0xaa, 0x7e, 0x80], // NTP seconds: 2208988800 (the Unix epoch)
  ...[0x80, 0x00, 0x00, 0x00], // NTP fraction: 0.5 s
  ...[0x00, 0x00, 0x1f, 0x40], // RTP timestamp 8000
  ...[0x00, 0x00, 0x00, 0x32], // packet count 50
  ...[0x00, 0x00, 0x1f, 0x40], // octet count 8000
  ...[0x55, 0x66, 0x77, 0x88], // SSRC_1
  ...[0x40, 0x00, 0x00, 0x05], // fraction lost 64/256, cumulative lost 5
  ...[0x00, 0x01, 0x00, 0x05], // extended highest sequence number: 1 cycle, seq 5
  ...[0x00, 0x00, 0x00, 0x10], // jitter 16
  ...[0xaa, 0xbb, 0xcc, 0xdd], // LSR
  ...[0x00, 0x01, 0x00, 0x00], // DLSR: 1 s in 1/65536 s
);

const SENDER: SenderInfo = {
  ntpSeconds: 2208988800,
  ntpFraction: 0x80000000,
  rtpTimestamp: 8000,
  packetCount: 50,
  octetCount: 8000,
};

const BLOCK: ReportBlock = {
  ssrc: 0x55667788,
  fractionLost: 64,
  cumulativeLost: 5,
  extendedHighestSeq: 0x10005,
  jitter: 16,
  lastSr: 0xaabbccdd,
  delaySinceLastSr: 0x10000,
};

/** §6.5.1 SDES, one chunk: CNAME "vb", a null, padded to 32 bits. */
const SDES_CNAME_VB = Uint8Array.of(
  ...[0x81, 0xca, 0x00, 0x03],
  ...[0x11, 0x22, 0x33, 0x44],
  ...[0x01, 0x02, 0x76, 0x62],
  ...[0x00, 0x00, 0x00, 0x00],
);

/** §6.4.2 RR with no report blocks: just the header and the SSRC. */
const RR_EMPTY = Uint8Array.of(0x80, 0xc9, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe('RTCP SR / RR (RFC 3550 §6.4)', () => {
  it('reads every field of an SR with one report block', () => {
    expect(parseRtcp(SR_ONE_BLOCK)).to.deep.equal([{ type: 'SR', ssrc: 0x11223344, sender: SENDER, reports: [BLOCK] }]);
  });

  it('writes that SR byte for byte', () => {
    const out = new Uint8Array(SR_ONE_BLOCK.length);
    expect(writeSenderReport(out, 0, 0x11223344, SENDER, [BLOCK])).to.equal(52);
    expect(out).to.deep.equal(SR_ONE_BLOCK);
  });

  it('reads and writes an RR with no report blocks', () => {
    expect(parseRtcp(RR_EMPTY)).to.deep.equal([{ type: 'RR', ssrc: 0x11223344, reports: [] }]);
    const out = new Uint8Array(8);
    expect(writeReceiverReport(out, 0, 0x11223344, [])).to.equal(8);
    expect(out).to.deep.equal(RR_EMPTY);
  });

  it('round-trips a negative cumulative loss (more duplicates than losses) as signed 24 bits', () => {
    const out = new Uint8Array(32);
    writeReceiverReport(out, 0, 1, [{ ...BLOCK, cumulativeLost: -3 }]);
    expect(Array.from(out.subarray(13, 16))).to.deep.equal([0xff, 0xff, 0xfd]);
    const [rr] = parseRtcp(out) ?? [];
    expect(rr?.type === 'RR' ? rr.reports[0]?.cumulativeLost : undefined).to.equal(-3);
  });

  it('clamps a cumulative loss beyond 24 bits', () => {
    const out = new Uint8Array(32);
    writeReceiverReport(out, 0, 1, [{ ...BLOCK, cumulativeLost: 1e9 }]);
    expect(Array.from(out.subarray(13, 16))).to.deep.equal([0x7f, 0xff, 0xff]);
  });

  it('writes an SDES CNAME chunk null-terminated and padded to 32 bits', () => {
    const out = new Uint8Array(16);
    expect(writeSdesCname(out, 0, 0x11223344, 'vb')).to.equal(16);
    expect(out).to.deep.equal(SDES_CNAME_VB);
  });

  it('iterates a compound SR + SDES + BYE, reporting the parts it does not decode by type', () => {
    const bye = Uint8Array.of(0x81, 0xcb, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44);
    const parts = parseRtcp(concat(SR_ONE_BLOCK, SDES_CNAME_VB, bye));
    expect(parts?.map((p) => p.type)).to.deep.equal(['SR', 'other', 'other']);
    expect(parts?.[1]).to.deep.equal({ type: 'other', packetType: 202, byteLength: 16 });
    expect(parts?.[2]).to.deep.equal({ type: 'other', packetType: 203, byteLength: 8 });
  });

  it('accepts padding on the last part only', () => {
    const padded = Uint8Array.of(0xa0, 0xc9, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x04);
    expect(parseRtcp(padded)).to.deep.equal([{ type: 'RR', ssrc: 0x11223344, reports: [] }]);
    expect(parseRtcp(concat(padded, RR_EMPTY))).to.equal(undefined);
  });

  it('rejects a part whose length runs past the datagram', () => {
    const long = RR_EMPTY.slice();
    long[3] = 2;
    expect(parseRtcp(long)).to.equal(undefined);
  });

  it('rejects a report count the length cannot hold', () => {
    const lying = RR_EMPTY.slice();
    lying[0] = 0x81;
    expect(parseRtcp(lying)).to.equal(undefined);
  });

  it('rejects version 1, trailing bytes, an empty datagram', () => {
    const v1 = RR_EMPTY.slice();
    v1[0] = 0x40;
    expect(parseRtcp(v1)).to.equal(undefined);
    expect(parseRtcp(concat(RR_EMPTY, Uint8Array.of(0x80, 0xc9)))).to.equal(undefined);
    expect(parseRtcp(new Uint8Array(0))).to.equal(undefined);
  });

  it('stops at 16 parts rather than iterating whatever a peer sends', () => {
    const sixteen = concat(...Array.from({ length: 16 }, () => RR_EMPTY));
    expect(parseRtcp(sixteen)).to.have.length(16);
    expect(parseRtcp(concat(sixteen, RR_EMPTY))).to.equal(undefined);
  });

  it('refuses to write more than 31 report blocks or past the buffer', () => {
    expect(() =>
      writeReceiverReport(
        new Uint8Array(2000),
        0,
        1,
        Array.from({ length: 32 }, () => BLOCK),
      ),
    ).to.throw(RangeError);
    expect(() => writeReceiverReport(new Uint8Array(31), 0, 1, [BLOCK])).to.throw(RangeError);
  });
});
