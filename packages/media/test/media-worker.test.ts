import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel, type CallChannel } from '@voicebridge/channel';
import {
  decodeAudioFrame,
  decodeControlJson,
  encodeAudioFrame,
  encodeControl,
  FRAME_KIND_AUDIO,
  type AllocateParams,
  type AudioFrame,
} from '@voicebridge/protocol';
import { MediaClock, pcmuDecode, pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { MediaWorker, PortPool } from '../src/index.ts';
import { pcmuCallParams, useMediaWorker } from './media-worker-rig.ts';
import { freeRtpPortRange } from '../../../test/support/free-port.ts';
import { holdsFor, repeatEvery, waitFor } from '../../../test/support/wait-for.ts';
import { rtpPeer, type RtpPeer } from './rtp-peer.ts';

const log = pino({ level: 'silent' });

/** The μ-law byte of a sample value. */
function pcmuOf(value: number): number {
  const out = Buffer.alloc(1);
  pcmuEncode(new Int16Array([value]), out);
  return out[0] as number;
}

describe('MediaWorker (real UDP, real Redis)', () => {
  const rig = useMediaWorker({ ports: 20, quarantineMs: 200, advertisedAddress: '192.0.2.20' });
  let caller: RtpPeer;

  beforeEach(async () => {
    caller = await rtpPeer();
    rig.cleanup(() => caller.socket.close());
  });

  const params = (callId: string): AllocateParams => pcmuCallParams(callId, caller.port);

  function agent(callId: string): {
    end: CallChannel;
    frames: AudioFrame[];
    controls: unknown[];
    next(pred: (c: unknown) => boolean): Promise<unknown>;
    frame(n: number): Promise<void>;
  } {
    const frames: AudioFrame[] = [];
    const controls: unknown[] = [];
    const waiters: { pred: (c: unknown) => boolean; resolve: (c: unknown) => void }[] = [];
    let frameWaiter: { n: number; resolve: () => void } | undefined;
    const end = rig.agentSide.open(callId, 'agent', (m) => {
      if (m[0] === FRAME_KIND_AUDIO) {
        const f = decodeAudioFrame(m);
        if (f) frames.push(f);
        if (frameWaiter && frames.length >= frameWaiter.n) frameWaiter.resolve();
        return;
      }
      const c = decodeControlJson(m);
      controls.push(c);
      for (const w of waiters.splice(0))
        if (w.pred(c)) w.resolve(c);
        else waiters.push(w);
    });
    return {
      end,
      frames,
      controls,
      next: (pred) => {
        const found = controls.find(pred);
        return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ pred, resolve }));
      },
      frame: (n) => (frames.length >= n ? Promise.resolve() : new Promise((resolve) => (frameWaiter = { n, resolve }))),
    };
  }

  /** A second worker on the shared pool that records its media events. */
  function eventWorker(mediaTimeoutMs?: number): { worker: MediaWorker; events: unknown[]; firstEvent: Promise<void> } {
    const events: unknown[] = [];
    let gotEvent!: () => void;
    const firstEvent = new Promise<void>((resolve) => (gotEvent = resolve));
    const conns = [new Redis(), new Redis()];
    rig.cleanup(() => conns.forEach((c) => c.disconnect()));
    const channel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: rig.prefix });
    const clock = new MediaClock();
    const worker = new MediaWorker({
      pool: rig.pool,
      clock,
      channel,
      advertisedAddress: '192.0.2.20',
      log,
      mediaTimeoutMs,
      onEvent: (e) => {
        events.push(e);
        gotEvent();
      },
    });
    rig.cleanup(
      () => worker.close(),
      () => clock.close(),
      () => channel.close(),
    );
    return { worker, events, firstEvent };
  }

  it('allocates an even port and answers the advertised address, never the bind address', async () => {
    const result = await rig.worker.allocate(params('c1'));
    expect(result.localRtp.address).to.equal('192.0.2.20');
    expect(result.localRtp.port % 2).to.equal(0);
    expect(rig.pool.allocatedCount).to.equal(1);
  });

  it('sends a packet every ptime once started: sequence +1, timestamp +160, marker only on the first, silence when idle', async () => {
    const { localRtp } = await rig.worker.allocate(params('c2'));
    rig.worker.start('c2', Date.now());
    caller.latch(localRtp.port);
    await caller.waitFor(10);
    const p = caller.packets.slice(0, 10);
    expect(p.map((x) => x.rtp.payloadType)).to.deep.equal(Array(10).fill(0));
    expect(p.map((x) => x.rtp.marker)).to.deep.equal([true, ...Array(9).fill(false)]);
    for (let i = 1; i < p.length; i++) {
      expect((p[i]!.rtp.sequenceNumber - p[i - 1]!.rtp.sequenceNumber) & 0xffff).to.equal(1);
      expect((p[i]!.rtp.timestamp - p[i - 1]!.rtp.timestamp) >>> 0).to.equal(160);
    }
    expect(p.every((x) => x.payload.length === 160 && x.payload.every((b) => b === 0xff))).to.equal(true);
  });

  it('with a 40 ms ptime sends 40 ms packets from its own clock slot while the agent still gets 20 ms frames', async () => {
    const { localRtp } = await rig.worker.allocate({ ...params('c13'), ptimeMs: 40 });
    const a = agent('c13');
    await a.end.ready;
    a.end.send(encodeControl({ event: 'ready' }));
    rig.worker.start('c13', Date.now());
    // Three 40 ms packets: the caller's own packets latch the path before we send it anything.
    for (let i = 0; i < 3; i++) {
      const pkt = Buffer.alloc(12 + 320, 0xff);
      writeRtpHeader(pkt, 0, { marker: i === 0, payloadType: 0, sequenceNumber: 1 + i, timestamp: 320 * i, ssrc: 9 });
      caller.socket.send(pkt, localRtp.port, '127.0.0.1');
    }
    await Promise.all([a.frame(2), caller.waitFor(3)]);
    expect(a.frames.slice(0, 2).map((f) => [f.sampleOffset, f.samples.length])).to.deep.equal([
      [0, 160],
      [160, 160],
    ]);
    const p = caller.packets.slice(0, 3);
    expect(p.map((x) => x.payload.length)).to.deep.equal([320, 320, 320]);
    expect((p[2]!.rtp.timestamp - p[1]!.rtp.timestamp) >>> 0).to.equal(320);
  });

  it('holds the caller audio until the agent is ready, then delivers it as 20 ms frames with offsets', async () => {
    const { localRtp } = await rig.worker.allocate(params('c3'));
    const a = agent('c3');
    await a.end.ready;
    const payload = Buffer.alloc(80); // 10 ms packets: re-framed to 20 ms
    const samples = new Int16Array(80).fill(1000);
    pcmuEncode(samples, payload);
    for (let i = 0; i < 6; i++) {
      const pkt = Buffer.alloc(12 + 80);
      writeRtpHeader(pkt, 0, {
        marker: i === 0,
        payloadType: 0,
        sequenceNumber: 100 + i,
        timestamp: 5000 + 80 * i,
        ssrc: 42,
      });
      payload.copy(pkt, 12);
      caller.socket.send(pkt, localRtp.port, '127.0.0.1');
    }
    const session = rig.worker.session('c3')!;
    await waitFor('the six caller packets at the worker', 5000, () => session.stats.packetsReceived === 6);
    await holdsFor('no frame to an agent that has not said ready', 100, () => a.frames.length === 0);
    a.end.send(encodeControl({ event: 'ready' }));
    await a.frame(3);
    expect(a.frames.map((f) => f.sampleOffset)).to.deep.equal([0, 160, 320]);
    expect(a.frames.every((f) => f.samples.length === 160 && f.sampleRateHz === 8000)).to.equal(true);
    const decoded = new Int16Array(80);
    pcmuDecode(payload, decoded);
    expect(a.frames[0]!.samples[0]).to.equal(decoded[0]);
  });

  it('plays reordered and duplicated caller RTP to the agent in order, and a lost packet as a filled frame', async () => {
    // A cap above the burst, so this checks ordering, not the cap; the allocate field sets it per call.
    const { localRtp } = await rig.worker.allocate({ ...params('c10'), jitterMaxDepthMs: 300 });
    const a = agent('c10');
    await a.end.ready;
    a.end.send(encodeControl({ event: 'ready' }));
    const level = (i: number): number => 1000 * (i + 1);
    const packet = (i: number): Buffer => {
      const pkt = Buffer.alloc(12 + 160);
      writeRtpHeader(pkt, 0, {
        marker: i === 0,
        payloadType: 0,
        sequenceNumber: (65534 + i) & 0xffff,
        timestamp: (2 ** 32 - 480 + 160 * i) >>> 0,
        ssrc: 77,
      });
      pcmuEncode(new Int16Array(160).fill(level(i)), pkt.subarray(12));
      return pkt;
    };
    // Sequence numbers and timestamps wrap inside the burst; 2 overtaken by 3, 2 duplicated, 5 lost.
    for (const i of [0, 1, 3, 2, 2, 4, 6, 7, 8, 9]) caller.socket.send(packet(i), localRtp.port, '127.0.0.1');
    await a.frame(10);
    const heard = (i: number): number => {
      const out = new Int16Array(1);
      pcmuDecode(packet(i).subarray(12, 13), out);
      return out[0]!;
    };
    expect(a.frames.slice(0, 10).map((f) => f.sampleOffset)).to.deep.equal([
      0, 160, 320, 480, 640, 800, 960, 1120, 1280, 1440,
    ]);
    expect(a.frames.slice(0, 10).map((f) => f.filled)).to.deep.equal([
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(a.frames.slice(0, 10).map((f) => f.samples[0])).to.deep.equal(
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => (i === 5 ? 0 : heard(i))),
    );
  });

  it('a new SSRC restarts the jitter buffer and the agent keeps getting frames with offsets that only grow', async () => {
    const { localRtp } = await rig.worker.allocate(params('c11'));
    const a = agent('c11');
    await a.end.ready;
    a.end.send(encodeControl({ event: 'ready' }));
    const send = (ssrc: number, seq: number, timestamp: number): void => {
      const pkt = Buffer.alloc(12 + 160, 0xff);
      writeRtpHeader(pkt, 0, { marker: false, payloadType: 0, sequenceNumber: seq, timestamp, ssrc });
      caller.socket.send(pkt, localRtp.port, '127.0.0.1');
    };
    send(1, 10, 1_000_000);
    send(1, 11, 1_000_160);
    await a.frame(2);
    // The far end switched streams (a transfer on its side): new SSRC, unrelated sequence and timestamps.
    send(2, 500, 7);
    send(2, 501, 167);
    await a.frame(4);
    const offsets = a.frames.map((f) => f.sampleOffset);
    expect(offsets.slice(0, 2)).to.deep.equal([0, 160]);
    expect(offsets[3]! - offsets[2]!).to.equal(160);
    expect(offsets[2]).to.be.at.least(320);
    expect(a.frames.every((f) => !f.filled)).to.equal(true);
  });

  /** A worker of its own on a clock whose timer never fires; `armed` counts the timers it set. */
  function workerOnStoppedClock(): { worker: MediaWorker; armed: () => number } {
    let armed = 0;
    const stopped = new MediaClock({ timers: { setTimeout: () => ++armed, clearTimeout: () => undefined } });
    const conns = [new Redis(), new Redis()];
    rig.cleanup(() => conns.forEach((c) => c.disconnect()));
    const channel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: rig.prefix });
    const worker = new MediaWorker({
      pool: rig.pool,
      clock: stopped,
      channel,
      advertisedAddress: '192.0.2.20',
      log,
      onEvent: () => undefined,
    });
    rig.cleanup(
      () => worker.close(),
      () => stopped.close(),
      () => channel.close(),
    );
    return { worker, armed: () => armed };
  }

  it('delivers in-order caller frames to the agent on arrival: no clock tick runs in between', async () => {
    // A clock whose timer never fires: any frame the agent gets was delivered from the packet's arrival.
    const { worker: still, armed } = workerOnStoppedClock();
    const { localRtp } = await still.allocate(params('c-arrival'));
    const a = agent('c-arrival');
    await a.end.ready;
    a.end.send(encodeControl({ event: 'ready' }));
    await still.session('c-arrival')?.ready;
    for (let i = 0; i < 3; i++) {
      const pkt = Buffer.alloc(12 + 160, 0xff);
      writeRtpHeader(pkt, 0, {
        marker: i === 0,
        payloadType: 0,
        sequenceNumber: 100 + i,
        timestamp: 8000 + 160 * i,
        ssrc: 9,
      });
      pcmuEncode(new Int16Array(160).fill(1000 * (i + 1)), pkt.subarray(12));
      caller.socket.send(pkt, localRtp.port, '127.0.0.1');
    }
    await a.frame(3);
    expect(armed()).to.be.greaterThan(0);
    expect(a.frames.map((f) => [f.sampleOffset, f.filled, f.jitterDepthMs])).to.deep.equal([
      [0, false, 0],
      [160, false, 0],
      [320, false, 0],
    ]);
    const expected = new Int16Array(160);
    pcmuDecode(Buffer.from([pcmuOf(3000)]), expected);
    expect(a.frames[2]?.samples[0]).to.equal(expected[0]);
  });

  it("sends the packets due on the clock from caller packets' arrival when the clock's timer is late", async () => {
    // The timer never fires: every packet the caller gets was sent from MediaClock.poll on arrival.
    const { worker: still } = workerOnStoppedClock();
    const { localRtp } = await still.allocate(params('c-poll'));
    still.start('c-poll', Date.now());
    // One caller packet every 5 ms, up to 2 s, until three of ours (silence, 20 ms apart) arrived.
    let i = 0;
    const stop = repeatEvery(5, () => {
      if (i >= 400) return;
      const pkt = Buffer.alloc(12 + 160, 0xff);
      writeRtpHeader(pkt, 0, {
        marker: i === 0,
        payloadType: 0,
        sequenceNumber: 100 + i,
        timestamp: 8000 + 40 * i,
        ssrc: 9,
      });
      i++;
      caller.socket.send(pkt, localRtp.port, '127.0.0.1');
    });
    try {
      await waitFor('three of our packets, sent from the clock poll', 5000, () => caller.packets.length >= 3);
    } finally {
      stop();
    }
    const [first, second, third] = caller.packets.map((p) => p.rtp);
    expect([second!.timestamp - first!.timestamp, third!.timestamp - second!.timestamp]).to.deep.equal([160, 160]);
    expect(caller.packets.every((p) => p.payload.every((b) => b === 0xff))).to.equal(true);
  });

  it('plays agent audio in order and reports a mark only after the audio before it was sent', async () => {
    const { localRtp } = await rig.worker.allocate(params('c4'));
    const a = agent('c4');
    await a.end.ready;
    a.end.send(encodeControl({ event: 'ready' }));
    rig.worker.start('c4', Date.now());
    caller.latch(localRtp.port);
    await a.next((c) => (c as { event?: string }).event === 'start');
    const tone = new Int16Array(400).fill(8000); // 2.5 frames: the mark pads the last one
    a.end.send(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 0, samples: tone, filled: false }));
    a.end.send(encodeControl({ event: 'mark', name: 'after-tone' }));
    await a.next((c) => (c as { name?: string }).name === 'after-tone');
    const loud = caller.packets.filter((x) => x.payload[0] !== 0xff);
    expect(loud.length).to.equal(3);
    expect(a.controls.find((c) => (c as { name?: string }).name === 'after-tone')).to.deep.equal({
      event: 'mark',
      name: 'after-tone',
      played: true,
    });
  });

  it('resamples 24 kHz agent audio to 8 kHz RTP of the same duration and reports the mark after it', async () => {
    const { localRtp } = await rig.worker.allocate(params('c12'));
    const a = agent('c12');
    await a.end.ready;
    a.end.send(encodeControl({ event: 'ready' }));
    rig.worker.start('c12', Date.now());
    caller.latch(localRtp.port);
    await a.next((c) => (c as { event?: string }).event === 'start');
    // 50 ms at 24 kHz in two chunks (the filter state carries across them): 400 samples at 8 kHz.
    const level = new Int16Array(600).fill(8000);
    a.end.send(encodeAudioFrame({ sampleRateHz: 24000, sampleOffset: 0, samples: level, filled: false }));
    a.end.send(encodeAudioFrame({ sampleRateHz: 24000, sampleOffset: 600, samples: level, filled: false }));
    a.end.send(encodeControl({ event: 'mark', name: 'after-24k' }));
    expect(await a.next((c) => (c as { name?: string }).name === 'after-24k')).to.deep.equal({
      event: 'mark',
      name: 'after-24k',
      played: true,
    });
    const loud = caller.packets.filter((x) => x.payload.some((b) => b !== 0xff));
    expect(loud.map((x) => x.payload.length)).to.deep.equal([160, 160, 160]);
    const pcm = new Int16Array(480);
    pcmuDecode(Buffer.concat(loud.map((x) => x.payload)), pcm);
    // A constant passes the low-pass unchanged: it rises and falls over the filter's few samples.
    const held = pcm.filter((x) => x > 4000).length;
    expect(held).to.be.within(390, 410);
  });

  it('clear drops queued audio and reports pending marks as not played', async () => {
    await rig.worker.allocate(params('c5'));
    const a = agent('c5');
    await a.end.ready;
    a.end.send(encodeControl({ event: 'ready' }));
    rig.worker.start('c5', Date.now());
    a.end.send(
      encodeAudioFrame({
        sampleRateHz: 8000,
        sampleOffset: 0,
        samples: new Int16Array(8000).fill(8000),
        filled: false,
      }),
    );
    a.end.send(encodeControl({ event: 'mark', name: 'long' }));
    a.end.send(encodeControl({ event: 'clear' }));
    expect(await a.next((c) => (c as { name?: string }).name === 'long')).to.deep.equal({
      event: 'mark',
      name: 'long',
      played: false,
    });
  });

  it('closing a call tells the agent why, releases the port pair into quarantine, and is idempotent', async () => {
    const { localRtp } = await rig.worker.allocate(params('c6'));
    const a = agent('c6');
    await a.end.ready;
    rig.worker.closeCall('c6', 'caller-bye');
    rig.worker.closeCall('c6', 'caller-bye');
    expect(await a.next((c) => (c as { event?: string }).event === 'stop')).to.deep.equal({
      event: 'stop',
      reason: 'caller-bye',
    });
    expect(rig.pool.allocatedCount).to.equal(0);
    expect(rig.pool.quarantinedCount()).to.equal(1);
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(localRtp.port, '127.0.0.1', () => resolve());
    });
    probe.close();
  });

  it('reports an agent hangup to signaling as a media event', async () => {
    const { worker: w, events, firstEvent: got } = eventWorker();
    await w.allocate(params('c7'));
    const a = agent('c7');
    await a.end.ready;
    a.end.send(encodeControl({ event: 'hangup', reason: 'agent-hangup' }));
    await got;
    expect(events[0]).to.deep.equal({ event: 'hangup', callId: 'c7', by: 'agent', reason: 'agent-hangup' });
  });

  it('ends a started call that receives no RTP for MEDIA_TIMEOUT_MS with media-timeout, and not one that does', async () => {
    const { worker: w, events, firstEvent: got } = eventWorker(300);
    const { localRtp } = await w.allocate(params('c8'));
    await w.allocate(params('c9'));
    w.start('c8', Date.now());
    w.start('c9', Date.now());
    // c9 keeps receiving RTP; c8 gets none.
    const pkt = Buffer.alloc(12 + 160, 0xff);
    writeRtpHeader(pkt, 0, { marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 7 });
    const c9Port = (await w.allocate(params('c9'))).localRtp.port;
    rig.cleanup(repeatEvery(50, () => caller.socket.send(pkt, c9Port, '127.0.0.1')));
    await got;
    expect(localRtp.port).to.not.equal(c9Port);
    expect(events).to.deep.equal([{ event: 'hangup', callId: 'c8', by: 'bridge', reason: 'media-timeout' }]);
  });
});

describe('MediaControlServer', () => {
  it('opens each connection with a hello naming its node; ends every call once no signaling has been connected for the grace period', async () => {
    const { createConnection } = await import('node:net');
    const { MediaControlServer } = await import('../src/index.ts');
    const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
    const conns = [new Redis(), new Redis()];
    const channel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: prefix });
    const clock = new MediaClock();
    const pool = new PortPool({ bindAddress: '127.0.0.1', ...(await freeRtpPortRange(20)), quarantineMs: 100 });
    const worker = new MediaWorker({
      pool,
      clock,
      channel,
      advertisedAddress: '127.0.0.1',
      log,
      onEvent: () => undefined,
    });
    const server = new MediaControlServer({
      worker,
      host: '127.0.0.1',
      port: 0,
      log,
      orphanGraceMs: 100,
      nodeId: 'node-a',
    });
    try {
      const { port } = await server.listen();
      const socket = createConnection({ host: '127.0.0.1', port });
      const hello = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      expect(JSON.parse((await hello).split('\n')[0]!)).to.deep.equal({ event: 'hello', nodeId: 'node-a' });
      const allocated = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
      socket.write(
        `${JSON.stringify({ id: 1, method: 'allocate', params: { callId: 'o1', remoteRtp: { address: '127.0.0.1', port: 9 }, codec: { name: 'PCMU', payloadType: 0 }, ptimeMs: 20, direction: 'sendrecv' } })}\n`,
      );
      expect(JSON.parse(await allocated)).to.deep.include({ id: 1, ok: true });
      expect(worker.callCount).to.equal(1);
      socket.destroy();
      await waitFor('every call ended after the grace period', 2000, () => worker.callCount === 0);
      expect(pool.allocatedCount).to.equal(0);
    } finally {
      await server.close();
      worker.close();
      clock.close();
      pool.close();
      await channel.close();
      conns.forEach((c) => c.disconnect());
    }
  });
});
