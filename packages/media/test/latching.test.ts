import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import {
  decodeAudioFrame,
  encodeControl,
  FRAME_KIND_AUDIO,
  type AllocateParams,
  type AudioFrame,
} from '@voicebridge/protocol';
import { parseRtp, pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { withTimeout } from '../../../test/support/wait-for.ts';
import { useMediaWorker } from './media-worker-rig.ts';

interface Endpoint {
  socket: Socket;
  port: number;
  received: number;
  /** Resolves once `n` RTP packets in all have arrived here; rejects after 5 s naming how many were awaited. */
  waitFor(n: number): Promise<void>;
}

async function endpoint(): Promise<Endpoint> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const waiters: { n: number; resolve: () => void }[] = [];
  const e: Endpoint = {
    socket,
    port: socket.address().port,
    received: 0,
    waitFor: (n) =>
      e.received >= n
        ? Promise.resolve()
        : withTimeout(new Promise((resolve) => waiters.push({ n, resolve })), `${n} RTP packets here`, 5000),
  };
  socket.on('message', (msg) => {
    if (!parseRtp(msg)) return;
    e.received++;
    for (const w of waiters.splice(0))
      if (e.received >= w.n) w.resolve();
      else waiters.push(w);
  });
  return e;
}

function rtpPacket(seq: number, timestamp: number, ssrc: number, level: number): Buffer {
  const pkt = Buffer.alloc(12 + 160);
  writeRtpHeader(pkt, 0, { marker: false, payloadType: 0, sequenceNumber: seq, timestamp, ssrc });
  pcmuEncode(new Int16Array(160).fill(level), pkt.subarray(12));
  return pkt;
}

describe('MediaWorker strict RTP latching (real UDP)', () => {
  const rig = useMediaWorker({ ports: 10, quarantineMs: 100, advertisedAddress: '127.0.0.1' });

  async function call(
    callId: string,
    sdp: { address: string; port: number },
  ): Promise<{ port: number; frames: AudioFrame[]; frame(n: number): Promise<void> }> {
    const params: AllocateParams = {
      callId,
      remoteRtp: sdp,
      codec: { name: 'PCMU', payloadType: 0 },
      ptimeMs: 20,
      direction: 'sendrecv',
    };
    const { localRtp } = await rig.worker.allocate(params);
    const frames: AudioFrame[] = [];
    let waiter: { n: number; resolve: () => void } | undefined;
    const end = rig.agentSide.open(callId, 'agent', (m) => {
      if (m[0] !== FRAME_KIND_AUDIO) return;
      const f = decodeAudioFrame(m);
      if (f) frames.push(f);
      if (waiter && frames.length >= waiter.n) waiter.resolve();
    });
    await end.ready;
    end.send(encodeControl({ event: 'ready' }));
    rig.worker.start(callId, Date.now());
    return {
      port: localRtp.port,
      frames,
      frame: (n) => (frames.length >= n ? Promise.resolve() : new Promise((resolve) => (waiter = { n, resolve }))),
    };
  }

  it('foreign RTP injected mid-call reaches no agent and draws none of our RTP', async () => {
    const caller = await endpoint();
    const injector = await endpoint();
    rig.cleanup(
      () => caller.socket.close(),
      () => injector.socket.close(),
    );
    const c = await call('l1', { address: '127.0.0.1', port: caller.port });
    // Bursts of three 20 ms packets: within the jitter buffer's 60 ms.
    for (let i = 0; i < 3; i++) caller.socket.send(rtpPacket(100 + i, 160 * i, 11, 1000), c.port, '127.0.0.1');
    await c.frame(3);
    // The injector guesses the port and sends a well-formed, in-sequence stream of its own.
    for (let i = 0; i < 10; i++)
      injector.socket.send(rtpPacket(5000 + i, 777_000 + 160 * i, 66, 20000), c.port, '127.0.0.1');
    for (let i = 3; i < 6; i++) caller.socket.send(rtpPacket(100 + i, 160 * i, 11, 1000), c.port, '127.0.0.1');
    await c.frame(6);
    const before = caller.received;
    await caller.waitFor(before + 10); // our stream keeps going to the caller meanwhile
    expect(c.frames.map((f) => f.sampleOffset)).to.deep.equal([0, 160, 320, 480, 640, 800]);
    expect(c.frames.every((f) => !f.filled && Math.abs(f.samples[0]!) < 1100)).to.equal(true);
    expect(injector.received).to.equal(0);
    expect(rig.worker.session('l1')!.stats.foreignDropped).to.equal(10);
  });

  it('a NATed softphone whose SDP address is not its real source is latched after three packets and gets our RTP', async () => {
    const phone = await endpoint();
    rig.cleanup(() => phone.socket.close());
    // The SDP carries the phone's private address; its packets come from the NAT's public one.
    const c = await call('l2', { address: '127.0.0.2', port: 9 });
    for (let i = 0; i < 5; i++) phone.socket.send(rtpPacket(40 + i, 160 * i, 12, 1000), c.port, '127.0.0.1');
    await phone.waitFor(5);
    await c.frame(3);
    expect(rig.worker.session('l2')!.stats.foreignDropped).to.equal(2); // the two before the latch
  });
});
