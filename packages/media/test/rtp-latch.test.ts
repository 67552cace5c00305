import { expect } from 'chai';
import { RtpLatch } from '../src/rtp-latch.ts';

const SDP = { address: '198.51.100.7', port: 30000 };

function feed(latch: RtpLatch, address: string, port: number, firstSeq: number, n: number, atMs = 0): boolean[] {
  const accepted: boolean[] = [];
  for (let i = 0; i < n; i++) accepted.push(latch.accept(address, port, (firstSeq + i) & 0xffff, atMs));
  return accepted;
}

describe('RtpLatch (strict symmetric RTP)', () => {
  it('sends nowhere, not even to the SDP address, and accepts only the SDP address until a source is latched', () => {
    const latch = new RtpLatch({ sdp: SDP });
    expect(latch.target).to.equal(undefined);
    expect(feed(latch, '203.0.113.9', 5000, 10, 2)).to.deep.equal([false, false]);
    expect(feed(latch, SDP.address, SDP.port, 40, 2)).to.deep.equal([true, true]);
    expect(latch.target, 'two packets are not a latch').to.equal(undefined);
    expect(latch.rtcpTarget(undefined, undefined), 'no RTCP before the latch either').to.equal(undefined);
    expect(latch.accept(SDP.address, SDP.port, 42, 0)).to.equal(true);
    expect(latch.target).to.deep.equal(SDP);
  });

  it('latches a NATed source after three consecutive in-sequence packets (across the sequence wrap) and sends there', () => {
    const latch = new RtpLatch({ sdp: SDP });
    expect(feed(latch, '203.0.113.9', 5000, 65534, 3)).to.deep.equal([false, false, true]);
    expect(latch.target).to.deep.equal({ address: '203.0.113.9', port: 5000 });
    expect(latch.accept(SDP.address, SDP.port, 1, 0), 'the SDP address is foreign once latched').to.equal(false);
  });

  it('prefers a source whose IP is the SDP address over another that qualified first', () => {
    const latch = new RtpLatch({ sdp: SDP });
    feed(latch, SDP.address, 40000, 1, 1); // the phone's real port differs from the SDP one
    feed(latch, '203.0.113.9', 5000, 100, 5);
    expect(latch.latched).to.equal(undefined);
    feed(latch, SDP.address, 40000, 2, 3);
    expect(latch.target).to.deep.equal({ address: SDP.address, port: 40000 });
  });

  it('needs the packets in sequence from one source: interleaved injectors reset the run', () => {
    const latch = new RtpLatch({ sdp: SDP });
    for (let i = 0; i < 5; i++) {
      latch.accept('203.0.113.9', 5000, i, 0);
      latch.accept('203.0.113.10', 5000, i, 0);
    }
    expect(latch.latched).to.equal(undefined);
  });

  it('after the learning window an unlatched session trusts only the SDP address, and latches it on its packets', () => {
    const latch = new RtpLatch({ sdp: SDP, learningWindowMs: 3000 });
    latch.startWindow(0);
    expect(feed(latch, '203.0.113.9', 5000, 1, 5, 3001)).to.deep.equal([false, false, false, false, false]);
    expect(latch.latched).to.equal(undefined);
    expect(feed(latch, SDP.address, SDP.port, 9, 3, 3002)).to.deep.equal([true, true, true]);
    expect(latch.target).to.deep.equal(SDP);
  });

  it('in sdp mode never learns another source, and sends to the SDP address only once its packets came', () => {
    const latch = new RtpLatch({ sdp: SDP, mode: 'sdp' });
    expect(feed(latch, '203.0.113.9', 5000, 1, 5)).to.deep.equal([false, false, false, false, false]);
    expect(latch.target).to.equal(undefined);
    feed(latch, SDP.address, SDP.port, 1, 3);
    expect(latch.target).to.deep.equal(SDP);
  });

  it('a renegotiation to the same address keeps the latch; a new address sends nothing until it is latched', () => {
    const latch = new RtpLatch({ sdp: SDP });
    feed(latch, SDP.address, SDP.port, 1, 3);
    latch.renegotiate({ ...SDP }, 10);
    expect(latch.target, 'a hold, resume or refresh keeps the path').to.deep.equal(SDP);
    const moved = { address: SDP.address, port: 30002 };
    latch.renegotiate(moved, 20);
    expect(latch.target).to.equal(undefined);
    expect(feed(latch, SDP.address, SDP.port, 4, 2, 30), 'the old port is foreign now').to.deep.equal([false, false]);
    feed(latch, moved.address, moved.port, 100, 3, 40);
    expect(latch.target).to.deep.equal(moved);
  });

  it("RTCP goes where the peer's RTCP comes from on the latched host, else to the offered RTCP port of that host", () => {
    const latch = new RtpLatch({ sdp: SDP });
    feed(latch, SDP.address, SDP.port, 1, 3);
    expect(latch.rtcpTarget(undefined, undefined)).to.deep.equal({ address: SDP.address, port: SDP.port + 1 });
    expect(latch.rtcpTarget(undefined, { address: SDP.address, port: 31000 })).to.deep.equal({
      address: SDP.address,
      port: 31000,
    });
    expect(latch.rtcpTarget({ address: SDP.address, port: 40001 }, undefined)).to.deep.equal({
      address: SDP.address,
      port: 40001,
    });
    const natted = new RtpLatch({ sdp: SDP });
    feed(natted, '203.0.113.9', 5000, 1, 3);
    expect(
      natted.rtcpTarget({ address: SDP.address, port: 30001 }, undefined),
      'never the unlatched SDP host',
    ).to.deep.equal({
      address: '203.0.113.9',
      port: 5001,
    });
  });

  it('accepts early RTCP (before any RTP latched) by the RTP rule: from the SDP IP on any port, from no other', () => {
    const latch = new RtpLatch({ sdp: SDP });
    expect(latch.acceptRtcp(SDP.address)).to.equal(true);
    expect(latch.acceptRtcp('203.0.113.9')).to.equal(false);
    expect(latch.target, "RTCP received latches nothing: only the caller's RTP does").to.equal(undefined);
  });

  it('accepts RTCP from the latched IP on any port, and from nowhere else', () => {
    const latch = new RtpLatch({ sdp: SDP });
    feed(latch, '203.0.113.9', 5000, 1, 3);
    expect(latch.acceptRtcp('203.0.113.9')).to.equal(true);
    expect(latch.acceptRtcp(SDP.address)).to.equal(false);
  });
});
