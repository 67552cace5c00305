import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import type { AllocateParams } from '@voicebridge/protocol';
import {
  MediaClock,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  reportByteLength,
  writeReceiverReport,
  writeRtpHeader,
  writeSenderReport,
  type RtcpPacket,
} from '@voicebridge/rtp';
import { MediaWorker, PortPool } from '../src/index.ts';
import { freeRtpPortRange } from '../../../test/support/free-port.ts';
import { holdsFor, sendPaced, waitFor } from '../../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });

interface RtcpPeer {
  socket: Socket;
  port: number;
  /** Resolves with the first report from now on that satisfies `pred`. */
  next(pred: (parts: RtcpPacket[]) => boolean): Promise<RtcpPacket[]>;
}

async function udp(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

function rtcpPeer(socket: Socket): RtcpPeer {
  const waiters: { pred: (parts: RtcpPacket[]) => boolean; resolve: (parts: RtcpPacket[]) => void }[] = [];
  socket.on('message', (msg) => {
    const parts = parseRtcp(msg);
    if (!parts) throw new Error('the bridge sent an RTCP packet that does not parse');
    for (const w of waiters.splice(0))
      if (w.pred(parts)) w.resolve(parts);
      else waiters.push(w);
  });
  return {
    socket,
    port: socket.address().port,
    next: (pred) => new Promise((resolve) => waiters.push({ pred, resolve })),
  };
}

function voicePacket(i: number): Buffer {
  const pkt = Buffer.alloc(12 + 160, 0xff);
  writeRtpHeader(pkt, 0, { marker: i === 0, payloadType: 0, sequenceNumber: 500 + i, timestamp: 160 * i, ssrc: 4242 });
  return pkt;
}

describe('MediaWorker RTCP (real UDP)', () => {
  const cleanup: (() => unknown)[] = [];
  let worker: MediaWorker;
  let rtp: Socket;
  let peer: RtcpPeer;

  beforeEach(async () => {
    const conns = [new Redis(), new Redis()];
    cleanup.push(() => conns.forEach((c) => c.disconnect()));
    const channel = new RedisAudioChannel({
      publisher: conns[0]!,
      subscriber: conns[1]!,
      keyPrefix: `vbtest:${randomBytes(4).toString('hex')}`,
    });
    const clock = new MediaClock();
    const pool = new PortPool({ bindAddress: '127.0.0.1', ...(await freeRtpPortRange(10)), quarantineMs: 100 });
    // A short interval so the test sees several reports; the randomisation still applies.
    worker = new MediaWorker({
      pool,
      clock,
      channel,
      advertisedAddress: '127.0.0.1',
      log,
      onEvent: () => undefined,
      rtcpIntervalMs: 100,
    });
    rtp = await udp();
    peer = rtcpPeer(await udp());
    cleanup.push(
      () => rtp.close(),
      () => peer.socket.close(),
    );
    cleanup.push(
      () => worker.close(),
      () => clock.close(),
      () => pool.close(),
      () => channel.close(),
    );
  });

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function params(callId: string): AllocateParams {
    return {
      callId,
      remoteRtp: { address: '127.0.0.1', port: rtp.address().port },
      remoteRtcp: { address: '127.0.0.1', port: peer.port },
      codec: { name: 'PCMU', payloadType: 0 },
      ptimeMs: 20,
      direction: 'sendrecv',
    };
  }

  it("sends neither RTP nor RTCP to the SDP's addresses before the caller's own packets latch the path, then both", async () => {
    let rtpArrived = 0;
    let rtcpArrived = 0;
    rtp.on('message', () => rtpArrived++);
    peer.socket.on('message', () => rtcpArrived++);
    const { localRtp } = await worker.allocate(params('r0'));
    worker.start('r0', Date.now());
    // Six report intervals of 100 ms and 30 ptimes pass: a caller that never sent gets nothing.
    await holdsFor('silence at the SDP RTP and RTCP addresses', 600, () => rtpArrived === 0 && rtcpArrived === 0);
    await sendPaced(3, 20, (i) => rtp.send(voicePacket(i), localRtp.port, '127.0.0.1'));
    await waitFor('our RTP and RTCP once latched', 5000, () => rtpArrived > 0 && rtcpArrived > 0);
    expect(worker.closeCall('r0', 'caller-bye').stats?.remoteRtp).to.deep.equal({
      address: '127.0.0.1',
      port: rtp.address().port,
    });
  });

  it("answers the caller's RTP and SR with an RR whose loss, highest sequence, jitter and LSR describe what arrived", async () => {
    const { localRtp } = await worker.allocate(params('r1'));
    // 20 packets of 20 ms at the sender's pace, sequence 1007 lost on the way.
    await sendPaced(20, 20, (i) => {
      if (i === 7) return;
      const pkt = Buffer.alloc(12 + 160, 0xff);
      writeRtpHeader(pkt, 0, {
        marker: i === 0,
        payloadType: 0,
        sequenceNumber: 1000 + i,
        timestamp: 90_000 + 160 * i,
        ssrc: 4242,
      });
      rtp.send(pkt, localRtp.port, '127.0.0.1');
    });
    const session = worker.session('r1')!;
    await waitFor('the 19 packets at the worker', 5000, () => session.stats.packetsReceived === 19);
    const ntp = ntpFromUnixMs(Date.now());
    const sr = new Uint8Array(reportByteLength('SR', 0));
    writeSenderReport(sr, 0, 4242, { ...ntp, rtpTimestamp: 93_200, packetCount: 19, octetCount: 19 * 160 }, []);
    const lsr = ntpMiddle32(ntp.ntpSeconds, ntp.ntpFraction);
    const answered = peer.next((parts) => parts[0]?.type === 'RR' && parts[0].reports[0]?.lastSr === lsr);
    peer.socket.send(sr, localRtp.port + 1, '127.0.0.1');
    const parts = await answered;

    const rr = parts[0] as Extract<RtcpPacket, { type: 'RR' }>;
    expect(rr.reports).to.have.length(1);
    const block = rr.reports[0]!;
    expect(block.ssrc).to.equal(4242);
    expect(block.cumulativeLost).to.equal(1);
    expect(block.extendedHighestSeq).to.equal(1019);
    expect(block.jitter, 'jitter in 1/8000 s: sane, well under a second').to.be.below(8000);
    // §6.1: every compound packet carries an SDES CNAME.
    expect(parts.some((p) => p.type === 'other' && p.packetType === 202)).to.equal(true);

    const { stats } = worker.closeCall('r1', 'caller-bye');
    expect(stats).to.deep.include({ packetsReceived: 19, packetsLost: 1, packetsSent: 0 });
    expect(stats!.jitterMs).to.be.below(1000);
    expect(stats!.longestGapMs).to.be.above(0);
  });

  it('sends SRs once sending, and the round trip from the peer reports on our stream comes back in the close result', async () => {
    const { localRtp } = await worker.allocate(params('r2'));
    worker.start('r2', Date.now());
    // The caller's own RTP latches the path (rtp-latch.ts): before it, nothing is sent, RTCP included.
    await sendPaced(3, 20, (i) => rtp.send(voicePacket(i), localRtp.port, '127.0.0.1'));
    const isOurSr = (parts: RtcpPacket[]): boolean => parts[0]?.type === 'SR';
    let ours = (await peer.next(isOurSr))[0] as Extract<RtcpPacket, { type: 'SR' }>;
    expect(ours.sender.packetCount).to.be.above(0);
    expect(ours.sender.octetCount).to.equal(ours.sender.packetCount * 160);
    // The peer answers each SR with an RR about our stream (§6.4.1 LSR, DLSR 0) until one is counted.
    const session = worker.session('r2')!;
    for (let i = 0; i < 20 && session.mediaStats.roundTripMs === undefined; i++) {
      const rr = new Uint8Array(reportByteLength('RR', 1));
      writeReceiverReport(rr, 0, 4242, [
        {
          ssrc: ours.ssrc,
          fractionLost: 0,
          cumulativeLost: 0,
          extendedHighestSeq: 0,
          jitter: 0,
          lastSr: ntpMiddle32(ours.sender.ntpSeconds, ours.sender.ntpFraction),
          delaySinceLastSr: 0,
        },
      ]);
      const nextSr = peer.next(isOurSr);
      peer.socket.send(rr, session.port + 1, '127.0.0.1');
      ours = (await nextSr)[0] as Extract<RtcpPacket, { type: 'SR' }>;
    }
    const { stats } = worker.closeCall('r2', 'caller-bye');
    expect(stats?.roundTripMs).to.be.a('number').and.at.least(0);
    expect(stats?.packetsSent).to.be.above(0);
  });
});
