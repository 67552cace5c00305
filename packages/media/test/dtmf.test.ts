import { expect } from 'chai';
import type { CallChannel } from '@voicebridge/channel';
import { decodeControlJson, encodeAudioFrame, encodeControl, FRAME_KIND_AUDIO } from '@voicebridge/protocol';
import { parseTelephoneEvent, writeRtpHeader, writeTelephoneEvent } from '@voicebridge/rtp';
import { holdsFor, waitFor, withTimeout } from '../../../test/support/wait-for.ts';
import { pcmuCallParams, useMediaWorker } from './media-worker-rig.ts';
import { rtpPeer, type RtpPeer } from './rtp-peer.ts';

/** RFC 4733 in and out through a real MediaWorker: UDP on loopback, the audio channel on real Redis. */
describe('MediaWorker DTMF (RFC 4733, real UDP)', () => {
  const rig = useMediaWorker({ ports: 10, quarantineMs: 100, advertisedAddress: '127.0.0.1' });
  let caller: RtpPeer;
  let received: RtpPeer['packets'];

  beforeEach(async () => {
    caller = await rtpPeer();
    rig.cleanup(() => caller.socket.close());
    received = caller.packets;
  });

  async function call(
    callId: string,
    telephoneEventPayloadType: number | undefined,
  ): Promise<{
    port: number;
    end: CallChannel;
    controls: Record<string, unknown>[];
    control(pred: (c: Record<string, unknown>) => boolean, count?: number): Promise<void>;
  }> {
    const { localRtp } = await rig.worker.allocate({
      ...pcmuCallParams(callId, caller.port),
      telephoneEventPayloadType,
    });
    const controls: Record<string, unknown>[] = [];
    const waiters: (() => void)[] = [];
    const end = rig.agentSide.open(callId, 'agent', (m) => {
      if (m[0] === FRAME_KIND_AUDIO) return;
      controls.push(decodeControlJson(m) as Record<string, unknown>);
      for (const w of waiters.splice(0)) w();
    });
    await end.ready;
    end.send(encodeControl({ event: 'ready' }));
    rig.worker.start(callId, Date.now());
    const control = async (pred: (c: Record<string, unknown>) => boolean, count = 1): Promise<void> => {
      const arrived = async (): Promise<void> => {
        while (controls.filter(pred).length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      };
      await withTimeout(arrived(), `${count} matching control message(s) from the worker`, 5000);
    };
    return { port: localRtp.port, end, controls, control };
  }

  function eventPacket(
    seq: number,
    timestamp: number,
    event: number,
    end: boolean,
    durationSamples: number,
    marker = false,
  ): Buffer {
    const pkt = Buffer.alloc(16);
    writeRtpHeader(pkt, 0, { marker, payloadType: 101, sequenceNumber: seq, timestamp, ssrc: 0x1234 });
    writeTelephoneEvent(pkt, 12, event, end, 10, durationSamples);
    return pkt;
  }

  it('reports each caller key press once: end sent three times, ends all lost (reported on the next press), and the last press by timeout', async () => {
    const c = await call('d1', 101);
    let seq = 1;
    const send = (pkt: Buffer): void => void caller.socket.send(pkt, c.port, '127.0.0.1');
    // "1": four updates and three end packets.
    for (let i = 1; i <= 4; i++) send(eventPacket(seq++, 1000, 1, false, 160 * i, i === 1));
    for (let i = 0; i < 3; i++) send(eventPacket(seq++, 1000, 1, true, 800));
    // "5": updates only, every end packet lost; then "5" again (a new timestamp) with its ends.
    for (let i = 1; i <= 4; i++) send(eventPacket(seq++, 3000, 5, false, 160 * i, i === 1));
    await c.control((m) => m.event === 'dtmf', 1);
    for (let i = 1; i <= 3; i++) send(eventPacket(seq++, 5000, 5, false, 160 * i, i === 1));
    for (let i = 0; i < 3; i++) send(eventPacket(seq++, 5000, 5, true, 640));
    // "#": updates only and nothing after it: reported once its packets stop (timeout).
    for (let i = 1; i <= 3; i++) send(eventPacket(seq++, 7000, 11, false, 160 * i, i === 1));
    await c.control((m) => m.event === 'dtmf', 4);
    const digitCount = (): number => c.controls.filter((m) => m.event === 'dtmf').length;
    // Longer than the 500 ms press timeout: no press is reported a second time by it.
    await holdsFor('four digits and no more', 700, () => digitCount() === 4);
    const digits = c.controls.filter((m) => m.event === 'dtmf');
    expect(digits.map((m) => m.digit)).to.deep.equal(['1', '5', '5', '#']);
    expect(digits.map((m) => m.durationMs)).to.deep.equal([100, 80, 80, 60]);
  });

  it('sends the agent’s digits as RFC 4733 events: negotiated PT, one timestamp per key, marker on the first packet, three end packets, voice paused and resumed', async () => {
    const c = await call('d2', 110);
    caller.latch(c.port);
    await waitFor('the first voice packets', 5000, () => received.length >= 3);
    // Voice the agent queues while the keys play waits behind them.
    c.end.send(encodeControl({ event: 'dtmf', digits: '4#', durationMs: 100 }));
    const tone = new Int16Array(160 * 5).fill(8000);
    c.end.send(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 0, samples: tone, filled: false }));
    await waitFor(
      'both keys (4 updates and 3 ends each), then the tone',
      5000,
      () =>
        received.filter((p) => p.rtp.payloadType === 110).length >= 2 * 7 &&
        received.some(
          (p, i) =>
            i > 0 && p.rtp.payloadType === 0 && received[i - 1]!.rtp.payloadType === 110 && p.payload[0] !== 0xff,
        ),
    );
    const events = received.filter((p) => p.rtp.payloadType === 110);
    const byTimestamp = new Map<number, RtpPeer['packets']>();
    for (const p of events) byTimestamp.set(p.rtp.timestamp, [...(byTimestamp.get(p.rtp.timestamp) ?? []), p]);
    expect([...byTimestamp.values()].map((ps) => ps.length)).to.deep.equal([7, 7]); // 4 updates + 3 ends, per key
    for (const [index, packets] of [...byTimestamp.values()].entries()) {
      const parsed = packets.map((p) => parseTelephoneEvent(p.payload)!);
      expect(parsed.every((e) => e.event === (index === 0 ? 4 : 11))).to.equal(true);
      expect(parsed.map((e) => e.durationSamples)).to.deep.equal([160, 320, 480, 640, 800, 800, 800]);
      expect(parsed.map((e) => e.end)).to.deep.equal([false, false, false, false, true, true, true]);
      expect(packets.map((p) => p.rtp.marker)).to.deep.equal([true, false, false, false, false, false, false]);
    }
    // One RTP stream: sequence numbers run on through events and voice.
    const firstEvent = received.indexOf(events[0]!);
    for (let i = firstEvent + 1; i < received.length; i++) {
      expect((received[i]!.rtp.sequenceNumber - received[i - 1]!.rtp.sequenceNumber) & 0xffff).to.equal(1);
    }
    // The tone is sent only after the keys (voice paused): the first toned packet follows the last event packet.
    const firstTone = received.findIndex((p) => p.rtp.payloadType === 0 && p.payload[0] !== 0xff);
    expect(firstTone).to.be.greaterThan(received.indexOf(events.at(-1)!));
  });

  it('answers the agent with VB_DTMF_NOT_NEGOTIATED when the call has no telephone-event, and sends no event packet', async () => {
    const c = await call('d3', undefined);
    c.end.send(encodeControl({ event: 'dtmf', digits: '1' }));
    await c.control((m) => m.event === 'error');
    expect(c.controls.find((m) => m.event === 'error')).to.include({ code: 'VB_DTMF_NOT_NEGOTIATED' });
    caller.latch(c.port);
    await waitFor('five voice packets', 5000, () => received.length >= 5);
    expect(received.every((p) => p.rtp.payloadType === 0)).to.equal(true);
  });
});
