import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import { decodeControlJson, encodeControl, FRAME_KIND_AUDIO, type AllocateParams } from '@voicebridge/protocol';
import { MediaClock, parseRtp, writeRtpHeader, type RtpPacket } from '@voicebridge/rtp';
import { MediaWorker, PortPool } from '../src/index.ts';
import { testPortRange } from './port-range.ts';

const log = pino({ level: 'silent' });

interface Peer {
  socket: Socket;
  port: number;
  packets: RtpPacket[];
  waitFor(n: number): Promise<void>;
}

async function peer(): Promise<Peer> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const packets: RtpPacket[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  socket.on('message', (msg) => {
    const rtp = parseRtp(msg);
    if (!rtp) return;
    packets.push(rtp);
    if (waiter && packets.length >= waiter.n) waiter.resolve();
  });
  return {
    socket,
    port: socket.address().port,
    packets,
    waitFor: (n) => (packets.length >= n ? Promise.resolve() : new Promise((resolve) => (waiter = { n, resolve }))),
  };
}

function voice(seq: number, payloadType = 0): Buffer {
  const pkt = Buffer.alloc(12 + 160, payloadType === 0 ? 0xff : 0xd5);
  writeRtpHeader(pkt, 0, { marker: false, payloadType, sequenceNumber: seq, timestamp: 160 * seq, ssrc: 4242 });
  return pkt;
}

/** RFC 4733 end packet: event, E bit, volume 10, duration. */
function dtmfEnd(event: number, timestamp: number): Buffer {
  const pkt = Buffer.alloc(16);
  writeRtpHeader(pkt, 0, { marker: false, payloadType: 101, sequenceNumber: 900 + event, timestamp, ssrc: 4242 });
  pkt.writeUInt8(event, 12);
  pkt.writeUInt8(0x80 | 10, 13);
  pkt.writeUInt16BE(800, 14);
  return pkt;
}

const until = async (what: string, check: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('MediaWorker update and INFO DTMF (re-INVITE/UPDATE applied to a live session)', function () {
  this.timeout(20_000);
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const cleanup: (() => unknown)[] = [];
  let worker: MediaWorker;
  let agentSide: RedisAudioChannel;
  let caller: Peer;

  beforeEach(async () => {
    const conns = [new Redis(), new Redis(), new Redis(), new Redis()];
    cleanup.push(() => conns.forEach((c) => c.disconnect()));
    const mediaChannel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: prefix });
    agentSide = new RedisAudioChannel({ publisher: conns[2]!, subscriber: conns[3]!, keyPrefix: prefix });
    const clock = new MediaClock();
    const pool = new PortPool({ bindAddress: '127.0.0.1', ...testPortRange(10), quarantineMs: 200 });
    worker = new MediaWorker({ pool, clock, channel: mediaChannel, advertisedAddress: '127.0.0.1', log, onEvent: () => undefined });
    caller = await peer();
    cleanup.push(() => caller.socket.close());
    cleanup.push(() => worker.close(), () => clock.close(), () => pool.close(), () => mediaChannel.close(), () => agentSide.close());
  });

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function params(callId: string): AllocateParams {
    return {
      callId,
      remoteRtp: { address: '127.0.0.1', port: caller.port },
      codec: { name: 'PCMU', payloadType: 0 },
      telephoneEventPayloadType: 101,
      ptimeMs: 20,
      direction: 'sendrecv',
    };
  }

  async function startedCall(callId: string): Promise<{ port: number; frames: () => number; controls: Record<string, unknown>[] }> {
    const { localRtp } = await worker.allocate(params(callId));
    let frames = 0;
    const controls: Record<string, unknown>[] = [];
    const end = agentSide.open(callId, 'agent', (m) => {
      if (m[0] === FRAME_KIND_AUDIO) frames++;
      else controls.push(decodeControlJson(m) as Record<string, unknown>);
    });
    cleanup.push(() => end.close());
    await end.ready;
    end.send(encodeControl({ event: 'ready' }));
    worker.start(callId, Date.now());
    return { port: localRtp.port, frames: () => frames, controls };
  }

  it('hold (recvonly) tells the agent, stops RTP out and frames up; resume brings both back', async () => {
    const call = await startedCall('h1');
    await until('the agent start', () => call.controls.some((c) => c.event === 'start'));
    for (let seq = 1; seq <= 5; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1');
    await caller.waitFor(5);
    await until('caller frames up', () => call.frames() > 0);

    worker.update({ ...params('h1'), direction: 'recvonly' });
    expect(worker.session('h1')?.onHold).to.equal(true);
    await until('the hold message', () => call.controls.some((c) => c.event === 'hold'));
    await new Promise((r) => setTimeout(r, 100)); // let in-flight packets land
    const sentBefore = caller.packets.length;
    const framesBefore = call.frames();
    for (let seq = 6; seq <= 15; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1'); // music on hold
    await new Promise((r) => setTimeout(r, 300));
    expect(caller.packets.length, 'RTP sent while on hold').to.equal(sentBefore);
    expect(call.frames(), 'frames to the agent while on hold').to.equal(framesBefore);

    worker.update({ ...params('h1'), direction: 'sendrecv' });
    await until('the resume message', () => call.controls.some((c) => c.event === 'resume'));
    await caller.waitFor(sentBefore + 5);
    for (let seq = 16; seq <= 20; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1');
    await until('caller frames after resume', () => call.frames() > framesBefore);
  });

  it('a new remote address and codec: RTP goes to the new address with the new payload type', async () => {
    const call = await startedCall('u1');
    await caller.waitFor(3);
    const moved = await peer();
    cleanup.push(() => moved.socket.close());
    worker.update({ ...params('u1'), remoteRtp: { address: '127.0.0.1', port: moved.port }, codec: { name: 'PCMA', payloadType: 8 } });
    await moved.waitFor(3);
    expect(moved.packets.slice(0, 3).map((p) => p.payloadType)).to.deep.equal([8, 8, 8]);
    // Latching learns again: the new source of three in-sequence PCMA packets is the caller now.
    const framesBefore = call.frames();
    for (let seq = 50; seq <= 56; seq++) moved.socket.send(voice(seq, 8), call.port, '127.0.0.1');
    await until('PCMA frames from the new address', () => call.frames() > framesBefore);
  });

  it('updating an unknown call is VB_CALL_NOT_FOUND', () => {
    expect(() => worker.update(params('nope'))).to.throw(/no media for call nope/);
  });

  it('a press as RFC 4733 and as INFO within 200 ms reaches the agent once; a later INFO press counts again', async () => {
    const call = await startedCall('d1');
    await until('the agent start', () => call.controls.some((c) => c.event === 'start'));
    for (let seq = 1; seq <= 3; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1'); // latch
    await new Promise((r) => setTimeout(r, 100));
    caller.socket.send(dtmfEnd(5, 8000), call.port, '127.0.0.1');
    await until('the RTP digit', () => call.controls.some((c) => c.event === 'dtmf'));
    worker.dtmf({ callId: 'd1', digit: '5', durationMs: 100 });
    await new Promise((r) => setTimeout(r, 300));
    worker.dtmf({ callId: 'd1', digit: '5', durationMs: 100 });
    worker.dtmf({ callId: 'd1', digit: '7', durationMs: 100 });
    await until('two more digits', () => call.controls.filter((c) => c.event === 'dtmf').length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(call.controls.filter((c) => c.event === 'dtmf').map((c) => c.digit)).to.deep.equal(['5', '5', '7']);
  });
});
