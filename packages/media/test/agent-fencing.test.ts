import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel, type CallChannel } from '@voicebridge/channel';
import {
  decodeControlJson,
  encodeAudioFrame,
  encodeControl,
  FRAME_KIND_AUDIO,
  type AllocateParams,
  type MediaEvent,
} from '@voicebridge/protocol';
import { MediaClock, pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { MediaWorker, PortPool } from '../src/index.ts';
import { AgentOwnership } from '../src/agent-ownership.ts';
import { freeRtpPortRange } from '../../../test/support/free-port.ts';
import { holdsFor, repeatEvery, sendPaced, waitFor } from '../../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });

const until = (condition: () => boolean, what: string, timeoutMs = 5000): Promise<true> =>
  waitFor(what, timeoutMs, condition);

describe('AgentOwnership (in memory)', () => {
  it('follows the highest epoch that said ready and drops control and audio from lower ones', () => {
    const o = new AgentOwnership({ absentAfterMs: 0, lostAfterMs: 0 }, 0);
    expect(o.onReady(1, 0)).to.equal('first');
    expect(o.accepts(1, 10)).to.equal(true);
    expect(o.onReady(3, 20)).to.equal('takeover');
    expect(o.accepts(1, 30)).to.equal(false);
    expect(o.onReady(2, 30)).to.equal('stale');
    expect(o.acceptsAudio(1)).to.equal(false);
    expect(o.acceptsAudio(3)).to.equal(true);
    // Audio carries the epoch modulo 128: 131 looks like 3.
    expect(o.onReady(131, 40)).to.equal('takeover');
    expect(o.acceptsAudio(3)).to.equal(true);
    expect(o.acceptsAudio(4)).to.equal(false);
    expect(o.staleDropped).to.equal(4);
  });

  it('accepts anything before the first ready (nothing to fence against) and treats no epoch as 0', () => {
    const o = new AgentOwnership({ absentAfterMs: 0, lostAfterMs: 0 }, 0);
    expect(o.accepts(undefined, 1)).to.equal(true);
    expect(o.acceptsAudio(5)).to.equal(true);
    expect(o.onReady(undefined, 2)).to.equal('first');
    expect(o.epoch).to.equal(0);
    expect(o.accepts(undefined, 3)).to.equal(true);
  });

  it('an owner quiet for absentAfterMs is absent once; quiet for lostAfterMs the call is lost; a sign of life resets both', () => {
    const o = new AgentOwnership({ absentAfterMs: 300, lostAfterMs: 1000 }, 0);
    o.onReady(1, 0);
    expect(o.check(299)).to.equal('ok');
    expect(o.check(300)).to.equal('absent');
    expect(o.check(600)).to.equal('ok');
    expect(o.absent).to.equal(true);
    expect(o.onReady(2, 700)).to.equal('takeover');
    expect(o.absent).to.equal(false);
    expect(o.check(900)).to.equal('ok');
    expect(o.accepts(2, 1500)).to.equal(true);
    expect(o.check(2499)).to.equal('absent');
    expect(o.check(2500)).to.equal('lost');
  });

  it('the same owner saying ready again after it was taken for absent gets the call back', () => {
    const o = new AgentOwnership({ absentAfterMs: 100, lostAfterMs: 0 }, 0);
    o.onReady(4, 0);
    expect(o.check(100)).to.equal('absent');
    expect(o.onReady(4, 150)).to.equal('takeover');
    expect(o.onReady(4, 160)).to.equal('repeat');
  });
});

describe('media worker fencing and ownerless calls (real UDP, real Redis)', function () {
  this.timeout(20_000);
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const cleanup: (() => unknown)[] = [];
  let worker: MediaWorker;
  let caller: Socket;
  let events: MediaEvent[];

  beforeEach(async () => {
    const conns = [new Redis(), new Redis()];
    cleanup.push(() => conns.forEach((c) => c.disconnect()));
    const mediaChannel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: prefix });
    const clock = new MediaClock();
    const pool = new PortPool({ bindAddress: '127.0.0.1', ...(await freeRtpPortRange(10)), quarantineMs: 100 });
    events = [];
    worker = new MediaWorker({
      pool,
      clock,
      channel: mediaChannel,
      advertisedAddress: '127.0.0.1',
      log,
      agentOwnership: { absentAfterMs: 300, lostAfterMs: 1500 },
      onEvent: (event) => events.push(event),
    });
    caller = createSocket('udp4');
    await new Promise<void>((resolve) => caller.bind(0, '127.0.0.1', resolve));
    cleanup.push(() => caller.close());
    cleanup.push(
      () => worker.close(),
      () => clock.close(),
      () => pool.close(),
      () => mediaChannel.close(),
    );
  });

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function params(callId: string): AllocateParams {
    return {
      callId,
      remoteRtp: { address: '127.0.0.1', port: caller.address().port },
      codec: { name: 'PCMU', payloadType: 0 },
      ptimeMs: 20,
      direction: 'sendrecv',
    };
  }

  /** An agent process's end of the call: its own Redis connections, as a second process would have. */
  function agent(callId: string): { end: CallChannel; frames: number; controls: { event: string; epoch?: number }[] } {
    const conns = [new Redis(), new Redis()];
    const channel = new RedisAudioChannel({ publisher: conns[0]!, subscriber: conns[1]!, keyPrefix: prefix });
    cleanup.push(
      () => conns.forEach((c) => c.disconnect()),
      () => channel.close(),
    );
    const state = {
      end: undefined as unknown as CallChannel,
      frames: 0,
      controls: [] as { event: string; epoch?: number }[],
    };
    state.end = channel.open(callId, 'agent', (m) => {
      if (m[0] === FRAME_KIND_AUDIO) state.frames++;
      else state.controls.push(decodeControlJson(m) as { event: string });
    });
    return state;
  }

  /** Caller RTP, 20 ms of a steady level per packet, paced in real time (the owner's absence is timed), for `count` packets. */
  function sendCallerRtp(port: number, from: number, count: number): Promise<void> {
    const payload = Buffer.alloc(160);
    pcmuEncode(new Int16Array(160).fill(2000), payload);
    return sendPaced(count, 20, (n) => {
      const i = from + n;
      const packet = Buffer.alloc(172);
      writeRtpHeader(packet, 0, { marker: i === 0, payloadType: 0, sequenceNumber: i, timestamp: 160 * i, ssrc: 7 });
      payload.copy(packet, 12);
      caller.send(packet, port, '127.0.0.1');
    });
  }

  const loud = (tag: number): Buffer =>
    encodeAudioFrame({
      sampleRateHz: 8000,
      sampleOffset: 0,
      samples: new Int16Array(160).fill(3000),
      filled: false,
      ownerTag: tag,
    });

  it('once a newer owner said ready, the old one is told and its audio, marks and hangup are dropped', async () => {
    await worker.allocate(params('f1'));
    worker.start('f1', Date.now());
    const old = agent('f1');
    const next = agent('f1');
    await Promise.all([old.end.ready, next.end.ready]);
    old.end.send(encodeControl({ event: 'ready', epoch: 1 }));
    await until(() => old.controls.some((c) => c.event === 'start'), 'start for the first owner');
    old.end.send(loud(1));
    await until(() => worker.session('f1')!.stats.framesFromAgent === 1, 'the first owner audio');
    next.end.send(encodeControl({ event: 'ready', epoch: 2 }));
    await until(() => old.controls.some((c) => c.event === 'owner' && c.epoch === 2), 'the owner event');
    expect(next.controls.filter((c) => c.event === 'start')).to.have.length(2); // its own and the first owner's
    old.end.send(loud(1));
    old.end.send(encodeControl({ event: 'mark', name: 'old', epoch: 1 }));
    old.end.send(encodeControl({ event: 'hangup', reason: 'agent-hangup', epoch: 1 }));
    next.end.send(loud(2));
    await until(() => worker.session('f1')!.stats.framesFromAgent === 2, 'the new owner audio');
    // The old owner's messages travel on its own connection, so they may land after the new owner's:
    // what is dropped can only be seen not to happen.
    await holdsFor(
      "the old owner's audio, mark and hangup dropped",
      200,
      () =>
        worker.session('f1')!.stats.framesFromAgent === 2 &&
        !old.controls.some((c) => c.event === 'mark') &&
        events.length === 0,
    );
    next.end.send(encodeControl({ event: 'hangup', reason: 'agent-hangup', epoch: 2 }));
    await until(() => events.length === 1, 'the new owner hangup');
    expect(events[0]).to.deep.include({ callId: 'f1', reason: 'agent-hangup' });
  });

  it('an owner gone quiet leaves the call held: the next owner gets the caller audio it missed, and the call goes on', async () => {
    const { localRtp } = await worker.allocate(params('f2'));
    worker.start('f2', Date.now());
    const gone = agent('f2');
    await gone.end.ready;
    gone.end.send(encodeControl({ event: 'ready', epoch: 1 }));
    await until(() => gone.controls.some((c) => c.event === 'start'), 'start');
    // The owner says nothing more (as if killed) while the caller goes on talking for 1 s: it is
    // taken for absent 300 ms after its ready, so most of that audio is held for the next owner.
    await sendCallerRtp(localRtp.port, 0, 50);
    const session = worker.session('f2')!;
    await until(() => gone.frames === session.stats.framesToAgent, 'every frame sent to the gone owner delivered');
    const framesToGone = gone.frames;
    expect(framesToGone).to.be.within(1, 40);
    const next = agent('f2');
    await next.end.ready;
    next.end.send(encodeControl({ event: 'ready', epoch: 2 }));
    // Everything after the gone owner's last word: what it got without reading it, and what was held.
    await until(() => next.frames >= 45, 'the held caller audio for the next owner');
    expect(gone.frames).to.be.greaterThan(framesToGone); // the replay goes on the shared channel
    // The new owner's heartbeats for 2.4 s, past the 1.5 s lost timeout: the call goes on.
    const stopHeartbeats = repeatEvery(200, () => next.end.send(encodeControl({ event: 'heartbeat', epoch: 2 })));
    try {
      await holdsFor('the call going on under the new owner', 2400, () => events.length === 0);
    } finally {
      stopHeartbeats();
    }
  });

  it('caller audio held for an agent not ready is kept up to 5 s: the older frames are dropped and counted for the record', async () => {
    const { localRtp } = await worker.allocate(params('f4'));
    // 6 s of the caller before any agent says ready (its RTP can come before the call is started).
    await sendCallerRtp(localRtp.port, 0, 300);
    const session = worker.session('f4')!;
    const late = agent('f4');
    await late.end.ready;
    late.end.send(encodeControl({ event: 'ready', epoch: 1 }));
    await until(() => late.frames >= 250, 'the held caller audio');
    await holdsFor('nothing more than the 250 held', 200, () => late.frames === 250);
    const dropped = session.mediaStats.callerFramesDroppedHeld ?? 0;
    // One frame per packet, and a few concealed ones if the box was slow to send.
    expect(dropped).to.be.within(50, 80);
    expect(session.stats.framesToAgent).to.equal(250);
  });

  it('a started call nobody owns for the lost timeout is ended with agent-lost, reported once', async () => {
    await worker.allocate(params('f3'));
    worker.start('f3', Date.now());
    const gone = agent('f3');
    await gone.end.ready;
    gone.end.send(encodeControl({ event: 'ready', epoch: 1 }));
    await until(() => events.length > 0, 'agent-lost', 6000);
    await holdsFor('agent-lost reported once', 1200, () => events.length === 1);
    expect(events).to.deep.equal([{ event: 'hangup', callId: 'f3', by: 'bridge', reason: 'agent-lost' }]);
  });
});
