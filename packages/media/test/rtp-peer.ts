import { createSocket, type Socket } from 'node:dgram';
import { parseRtp, writeRtpHeader, type RtpPacket } from '@voicebridge/rtp';
import { withTimeout } from '../../../test/support/wait-for.ts';

/** A UDP endpoint on loopback that keeps every RTP packet it receives, in order. */
export interface RtpPeer {
  socket: Socket;
  port: number;
  /** `atMs`: when it arrived, on performance.now(). */
  packets: { rtp: RtpPacket; payload: Buffer; atMs: number }[];
  /** Resolves once `n` RTP packets in all have arrived; rejects after 5 s naming how many were awaited. */
  waitFor(n: number): Promise<void>;
  /**
   * Sends three in-sequence 20 ms packets of silence to a session's RTP `port`: the caller's own
   * packets latch the path (rtp-latch.ts), and the worker sends it nothing before they do.
   */
  latch(port: number, payloadType?: number): void;
}

const LATCH_SSRC = 0x1a7c4;

export async function rtpPeer(): Promise<RtpPeer> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const packets: RtpPeer['packets'] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  socket.on('message', (msg) => {
    const rtp = parseRtp(msg);
    if (!rtp) return;
    packets.push({
      rtp,
      payload: Buffer.from(msg.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength)),
      atMs: performance.now(),
    });
    if (waiter && packets.length >= waiter.n) waiter.resolve();
  });
  return {
    socket,
    port: socket.address().port,
    packets,
    latch: (port, payloadType = 0) => {
      for (let i = 0; i < 3; i++) {
        // Silence in either G.711 law: 0xff is μ-law zero, 0xd5 A-law zero.
        const packet = Buffer.alloc(12 + 160, payloadType === 8 ? 0xd5 : 0xff);
        writeRtpHeader(packet, 0, {
          marker: i === 0,
          payloadType,
          sequenceNumber: 7000 + i,
          timestamp: 160 * i,
          ssrc: LATCH_SSRC,
        });
        socket.send(packet, port, '127.0.0.1');
      }
    },
    waitFor: (n) =>
      packets.length >= n
        ? Promise.resolve()
        : withTimeout(new Promise((resolve) => (waiter = { n, resolve })), `${n} RTP packets at the peer`, 5000),
  };
}
