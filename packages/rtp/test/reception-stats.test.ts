import { expect } from 'chai';
import {
  ReceptionStats,
  buildReceiverReport,
  buildSenderReport,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  roundTripMs,
} from '../src/index.ts';
import type { ReportBlock } from '../src/index.ts';

const PEER = 0x55667788;

function stats(): ReceptionStats {
  return new ReceptionStats({ ssrc: PEER, clockRateHz: 8000 });
}

/** Feeds packets `seqs` as a 20 ms stream arriving exactly on time. */
function feed(s: ReceptionStats, seqs: number[], firstSeq = seqs[0] ?? 0): void {
  for (const seq of seqs) {
    const n = (seq - firstSeq) & 0xffff;
    s.onPacket(seq, n * 160, n * 20);
  }
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (from + i) & 0xffff);
}

describe('ReceptionStats (RFC 3550 A.1, A.3, A.8)', () => {
  it('expects and receives 100 of 100 in-order packets: nothing lost', () => {
    const s = stats();
    feed(s, range(1000, 100));
    const block = s.reportBlock(2000);
    expect([s.packetsExpected, s.packetsReceived, s.packetsLost]).to.deep.equal([100, 100, 0]);
    expect(block).to.include({ ssrc: PEER, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 1099 });
  });

  it('counts 10 lost of 100 and reports fraction lost as floor(10 × 256 / 100) = 25', () => {
    const s = stats();
    feed(
      s,
      range(0, 100).filter((seq) => seq % 10 !== 5),
      0,
    );
    expect(s.packetsLost).to.equal(10);
    expect(s.reportBlock(0)).to.include({ fractionLost: 25, cumulativeLost: 10 });
  });

  it('reports fraction lost per interval and cumulative loss overall', () => {
    const s = stats();
    feed(s, [0, 1, 3], 0);
    expect(s.reportBlock(0)).to.include({ fractionLost: 64, cumulativeLost: 1 });
    feed(s, [4, 5, 6, 7], 0);
    expect(s.reportBlock(0)).to.include({ fractionLost: 0, cumulativeLost: 1 });
  });

  it('extends the sequence number across the 16-bit wrap', () => {
    const s = stats();
    feed(s, range(65530, 20), 65530);
    expect(s.extendedHighestSeq).to.equal(65536 + 13);
    expect([s.packetsExpected, s.packetsLost]).to.deep.equal([20, 0]);
  });

  it('counts a reordered packet without moving the highest sequence number back', () => {
    const s = stats();
    feed(s, [10, 12, 11, 13], 10);
    expect(s.extendedHighestSeq).to.equal(13);
    expect(s.packetsLost).to.equal(0);
  });

  it('lets duplicates make the cumulative loss negative and the fraction 0', () => {
    const s = stats();
    feed(s, [1, 2, 2, 3, 3], 1);
    expect(s.reportBlock(0)).to.include({ fractionLost: 0, cumulativeLost: -2 });
  });

  it('ignores one packet far out of sequence, and restarts on two in a row (a sender restart)', () => {
    const s = stats();
    feed(s, range(100, 10), 100);
    expect(s.onPacket(40000, 0, 500)).to.equal(false);
    expect(s.packetsReceived).to.equal(10);
    expect(s.onPacket(110, 1600, 520)).to.equal(true);
    expect(s.onPacket(20000, 0, 540)).to.equal(false);
    expect(s.onPacket(20001, 160, 560)).to.equal(true);
    expect([s.packetsExpected, s.packetsReceived]).to.deep.equal([1, 1]);
  });

  it('reports zero jitter for a perfectly paced stream', () => {
    const s = stats();
    feed(s, range(0, 50), 0);
    expect(s.reportBlock(0).jitter).to.equal(0);
  });

  it('computes jitter as J += (|D| − J) / 16: one packet 10 ms late gives 5 then 9.6875 → 9', () => {
    const s = stats();
    s.onPacket(0, 0, 0);
    s.onPacket(1, 160, 30); // 10 ms = 80 units late: D = 80, J = 5
    expect(s.reportBlock(0).jitter).to.equal(5);
    s.onPacket(2, 320, 40); // on time again: D = 80, J = 5 + 75/16
    expect(s.reportBlock(0).jitter).to.equal(9);
    expect(s.jitterMs).to.equal(9 / 8);
  });

  it('keeps jitter right across the 32-bit timestamp wrap', () => {
    const s = stats();
    const start = 2 ** 32 - 320;
    for (let i = 0; i < 10; i++) s.onPacket(i, (start + i * 160) >>> 0, i * 20);
    expect(s.reportBlock(0).jitter).to.equal(0);
  });

  it('tracks the longest gap between arrivals', () => {
    const s = stats();
    s.onPacket(0, 0, 0);
    s.onPacket(1, 160, 20);
    s.onPacket(5, 800, 300);
    s.onPacket(6, 960, 320);
    expect(s.longestGapMs).to.equal(280);
  });

  it('echoes the last SR as LSR (middle 32 NTP bits) with DLSR in 1/65536 s', () => {
    const s = stats();
    s.onPacket(0, 0, 0);
    s.onSenderReport(
      { ntpSeconds: 0x0001aaaa, ntpFraction: 0xbbbb0000, rtpTimestamp: 0, packetCount: 0, octetCount: 0 },
      1000,
    );
    expect(s.reportBlock(1500)).to.include({ lastSr: 0xaaaabbbb, delaySinceLastSr: 32768 });
  });

  it('reports LSR and DLSR 0 before any SR', () => {
    const s = stats();
    s.onPacket(0, 0, 0);
    expect(s.reportBlock(1500)).to.include({ lastSr: 0, delaySinceLastSr: 0 });
  });
});

describe('round trip from LSR / DLSR (RFC 3550 §6.4.1)', () => {
  it('is A − LSR − DLSR: SR sent at T, held 100 ms by the peer, RR back at T + 150 ms → 50 ms', () => {
    const sentAtMs = 1_700_000_000_000;
    const sr = ntpFromUnixMs(sentAtMs);
    const block: ReportBlock = {
      ssrc: 1,
      fractionLost: 0,
      cumulativeLost: 0,
      extendedHighestSeq: 0,
      jitter: 0,
      lastSr: ntpMiddle32(sr.ntpSeconds, sr.ntpFraction),
      delaySinceLastSr: Math.round(0.1 * 65536),
    };
    expect(roundTripMs(block, sentAtMs + 150)).to.be.closeTo(50, 0.1);
  });

  it('is undefined when the peer had no SR from us', () => {
    const block: ReportBlock = {
      ssrc: 1,
      fractionLost: 0,
      cumulativeLost: 0,
      extendedHighestSeq: 0,
      jitter: 0,
      lastSr: 0,
      delaySinceLastSr: 0,
    };
    expect(roundTripMs(block, Date.now())).to.equal(undefined);
  });

  it('puts the Unix epoch at NTP second 2208988800', () => {
    expect(ntpFromUnixMs(0)).to.deep.equal({ ntpSeconds: 2208988800, ntpFraction: 0 });
    expect(ntpFromUnixMs(500)).to.deep.equal({ ntpSeconds: 2208988800, ntpFraction: 0x80000000 });
  });
});

describe('buildReceiverReport / buildSenderReport', () => {
  it('builds a compound RR + SDES(CNAME) with one block per source', () => {
    const s = stats();
    feed(s, [0, 1, 3], 0);
    const bytes = buildReceiverReport({ ssrc: 0x11223344, cname: 'media-1@voicebridge', sources: [s], nowMs: 60 });
    const parts = parseRtcp(bytes);
    expect(parts?.map((p) => p.type)).to.deep.equal(['RR', 'other']);
    const rr = parts?.[0];
    expect(rr?.type === 'RR' ? rr.reports : []).to.deep.equal([
      {
        ssrc: PEER,
        fractionLost: 64,
        cumulativeLost: 1,
        extendedHighestSeq: 3,
        jitter: 0,
        lastSr: 0,
        delaySinceLastSr: 0,
      },
    ]);
  });

  it('builds a compound SR + SDES(CNAME) carrying our NTP time, RTP time and counts', () => {
    const bytes = buildSenderReport({
      ssrc: 0x11223344,
      cname: 'x',
      sources: [],
      nowMs: 0,
      nowUnixMs: 500,
      rtpTimestamp: 123456,
      packetsSent: 10,
      octetsSent: 1600,
    });
    const [sr] = parseRtcp(bytes) ?? [];
    expect(sr).to.deep.equal({
      type: 'SR',
      ssrc: 0x11223344,
      sender: {
        ntpSeconds: 2208988800,
        ntpFraction: 0x80000000,
        rtpTimestamp: 123456,
        packetCount: 10,
        octetCount: 1600,
      },
      reports: [],
    });
  });
});
