import { expect } from 'chai';
import { decodeControlJson, encodeControl, FRAME_KIND_AUDIO, type AllocateParams } from '@voicebridge/protocol';
import { writeRtpHeader } from '@voicebridge/rtp';
import { holdsFor, waitFor } from '../../../test/support/wait-for.ts';
import { pcmuCallParams, useMediaWorker } from './media-worker-rig.ts';
import { rtpPeer, type RtpPeer } from './rtp-peer.ts';

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

const until = (what: string, check: () => boolean): Promise<true> => waitFor(what, 5000, check);

describe('MediaWorker update and INFO DTMF (re-INVITE/UPDATE applied to a live session)', function () {
  this.timeout(20_000);
  const rig = useMediaWorker({ ports: 10, quarantineMs: 200, advertisedAddress: '127.0.0.1' });
  let caller: RtpPeer;

  beforeEach(async () => {
    caller = await rtpPeer();
    rig.cleanup(() => caller.socket.close());
  });

  const params = (callId: string): AllocateParams => pcmuCallParams(callId, caller.port);

  async function startedCall(
    callId: string,
  ): Promise<{ port: number; frames: () => number; controls: Record<string, unknown>[] }> {
    const { localRtp } = await rig.worker.allocate(params(callId));
    let frames = 0;
    const controls: Record<string, unknown>[] = [];
    const end = rig.agentSide.open(callId, 'agent', (m) => {
      if (m[0] === FRAME_KIND_AUDIO) frames++;
      else controls.push(decodeControlJson(m) as Record<string, unknown>);
    });
    rig.cleanup(() => end.close());
    await end.ready;
    end.send(encodeControl({ event: 'ready' }));
    rig.worker.start(callId, Date.now());
    return { port: localRtp.port, frames: () => frames, controls };
  }

  it('hold (recvonly) tells the agent, stops RTP out and frames up; resume brings both back', async () => {
    const call = await startedCall('h1');
    const session = rig.worker.session('h1')!;
    await until('the agent start', () => call.controls.some((c) => c.event === 'start'));
    for (let seq = 1; seq <= 5; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1');
    await caller.waitFor(5);
    await until('caller frames up', () => call.frames() > 0);

    rig.worker.update({ ...params('h1'), direction: 'recvonly' });
    expect(rig.worker.session('h1')?.onHold).to.equal(true);
    await until('the hold message', () => call.controls.some((c) => c.event === 'hold'));
    // Whatever the worker sent before the hold has arrived, so nothing counted from here is in flight.
    await until(
      'every packet and frame sent before the hold',
      () => caller.packets.length === session.stats.packetsSent && call.frames() === session.stats.framesToAgent,
    );
    const sentBefore = caller.packets.length;
    const framesBefore = call.frames();
    const receivedBefore = session.stats.packetsReceived;
    for (let seq = 6; seq <= 15; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1'); // music on hold
    await until('the music on hold at the worker', () => session.stats.packetsReceived === receivedBefore + 10);
    // Silence is the behaviour under test: 15 of the pacer's 20 ms periods pass with nothing out.
    await holdsFor(
      'no RTP to the caller and no frame to the agent while on hold',
      300,
      () => caller.packets.length === sentBefore && call.frames() === framesBefore,
    );

    rig.worker.update({ ...params('h1'), direction: 'sendrecv' });
    await until('the resume message', () => call.controls.some((c) => c.event === 'resume'));
    await caller.waitFor(sentBefore + 5);
    for (let seq = 16; seq <= 20; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1');
    await until('caller frames after resume', () => call.frames() > framesBefore);
  });

  it('a new remote address and codec: RTP goes to the new address with the new payload type', async () => {
    const call = await startedCall('u1');
    for (let seq = 1; seq <= 3; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1');
    await caller.waitFor(3);
    const moved = await rtpPeer();
    rig.cleanup(() => moved.socket.close());
    rig.worker.update({
      ...params('u1'),
      remoteRtp: { address: '127.0.0.1', port: moved.port },
      codec: { name: 'PCMA', payloadType: 8 },
    });
    // The new address has not earned our packets: nothing goes there until its own packets latch it.
    await holdsFor('no RTP to the new address before it sends', 200, () => moved.packets.length === 0);
    // Latching learns again: the new source of three in-sequence PCMA packets is the caller now.
    const framesBefore = call.frames();
    for (let seq = 50; seq <= 56; seq++) moved.socket.send(voice(seq, 8), call.port, '127.0.0.1');
    await until('PCMA frames from the new address', () => call.frames() > framesBefore);
    await moved.waitFor(3);
    expect(moved.packets.slice(0, 3).map((p) => p.rtp.payloadType)).to.deep.equal([8, 8, 8]);
  });

  it('updating an unknown call is VB_CALL_NOT_FOUND', () => {
    expect(() => rig.worker.update(params('nope'))).to.throw(/no media for call nope/);
  });

  it('a press as RFC 4733 and as INFO within 200 ms reaches the agent once; a later INFO press counts again', async () => {
    const call = await startedCall('d1');
    const session = rig.worker.session('d1')!;
    const digits = (): unknown[] => call.controls.filter((c) => c.event === 'dtmf').map((c) => c.digit);
    await until('the agent start', () => call.controls.some((c) => c.event === 'start'));
    for (let seq = 1; seq <= 3; seq++) caller.socket.send(voice(seq), call.port, '127.0.0.1');
    await until('the caller latched', () => session.stats.packetsReceived === 3);
    caller.socket.send(dtmfEnd(5, 8000), call.port, '127.0.0.1');
    await until('the RTP digit', () => digits().length === 1);
    rig.worker.dtmf({ callId: 'd1', digit: '5', durationMs: 100 });
    // The once-per-press window is 200 ms on the worker's own clock: it has to pass for real here.
    await holdsFor(
      'the INFO copy of the press not reported, while the window passes',
      300,
      () => digits().length === 1,
    );
    rig.worker.dtmf({ callId: 'd1', digit: '5', durationMs: 100 });
    rig.worker.dtmf({ callId: 'd1', digit: '7', durationMs: 100 });
    await until('two more digits', () => digits().length === 3);
    await holdsFor('no digit reported twice', 200, () => digits().length === 3);
    expect(digits()).to.deep.equal(['5', '5', '7']);
  });
});
