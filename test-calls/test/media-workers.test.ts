import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { splitRtpRange, type MediaWorkerSlice } from '@voicebridge/protocol';
import { useBridge } from '../src/bridge-fixture.ts';
import type { RunningBridge } from '../src/bridge-harness.ts';
import { readyPids } from '../src/bridge-processes.ts';
import { Caller } from '../src/in-process-call.ts';
import { assertBridgeIdle, endedRecord } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { inviteText, newCallId, okFor, requestText, SipPeer, toTagOf } from '../../packages/signaling/test/sip-peer.ts';

const NUMBER = '+15550199'; // the echo demo number

interface LiveCall {
  sipCallId: string;
  toTag: string;
  /** 0-based index of the media worker whose RTP slice the answer's port is in. */
  worker: number;
  caller: Caller;
  cseq: number;
}

/**
 * MEDIA_WORKERS=2 through the real bridge (`voicebridge start`): calls land on both media
 * processes; one SIGKILLed ends only its calls (BYE, media-lost) while the other's keep flowing
 * RTP; the supervisor restarts it and it takes calls again.
 */
describe('several media workers: MEDIA_WORKERS=2, one SIGKILLed mid-call', function () {
  this.timeout(120_000);
  const bridge = useBridge({ env: { MEDIA_WORKERS: '2' }, rtpPorts: 40 });
  let peer: SipPeer;
  let slices: MediaWorkerSlice[];
  const calls: LiveCall[] = [];

  before(async () => {
    peer = await SipPeer.open();
    const b = bridge();
    slices = splitRtpRange(b.rtpRange.min, b.rtpRange.max, 2, b.controlPort) as MediaWorkerSlice[];
  });

  after(async () => {
    for (const call of calls.splice(0)) call.caller.close();
    peer?.close();
  });

  /** INVITE, 200 with SDP, ACK, and the caller's RTP going: a call up on whichever worker signaling chose. */
  async function placeCall(b: RunningBridge): Promise<LiveCall> {
    const caller = await Caller.open();
    const sipCallId = newCallId();
    peer.send(
      inviteText({
        number: NUMBER,
        bridgePort: b.sipPort,
        peerPort: peer.port,
        callId: sipCallId,
        branch: `z9hG4bK${randomBytes(4).toString('hex')}`,
        rtpPort: caller.port,
      }),
      b.sipPort,
    );
    let ok;
    try {
      ok = await peer.response(200, 'INVITE', sipCallId);
    } catch (error) {
      caller.close();
      throw error;
    }
    const toTag = toTagOf(ok);
    peer.send(
      requestText('ACK', {
        bridgePort: b.sipPort,
        peerPort: peer.port,
        callId: sipCallId,
        number: NUMBER,
        toTag,
        branch: `z9hG4bK${randomBytes(4).toString('hex')}`,
        cseq: 1,
      }),
      b.sipPort,
    );
    const port = Number(/^m=audio (\d+) /m.exec(ok.body.toString())?.[1]);
    const worker = slices.findIndex((s) => port >= s.rtpPortMin && port <= s.rtpPortMax);
    caller.start({ address: '127.0.0.1', port });
    const call = { sipCallId, toTag, worker, caller, cseq: 1 };
    calls.push(call);
    return call;
  }

  /** Stops a call's RTP socket (once). */
  function closeCaller(call: LiveCall): void {
    const at = calls.indexOf(call);
    if (at < 0) return;
    calls.splice(at, 1);
    call.caller.close();
  }

  async function hangUp(b: RunningBridge, call: LiveCall): Promise<void> {
    call.cseq++;
    peer.send(
      requestText('BYE', {
        bridgePort: b.sipPort,
        peerPort: peer.port,
        callId: call.sipCallId,
        number: NUMBER,
        toTag: call.toTag,
        branch: `z9hG4bK${randomBytes(4).toString('hex')}`,
        cseq: call.cseq,
      }),
      b.sipPort,
    );
    await peer.response(200, 'BYE', call.sipCallId);
    closeCaller(call);
  }

  async function rtpFlows(call: LiveCall, packets = 25, timeoutMs = 5000): Promise<void> {
    const from = call.caller.received.length;
    await waitFor(
      `${packets} RTP packets on ${call.sipCallId} (worker ${call.worker + 1})`,
      timeoutMs,
      () => call.caller.received.length >= from + packets,
    );
  }

  function connectedLines(b: RunningBridge, worker: number): number {
    return b.logs.filter((l) => l.includes('"media worker connected"') && l.includes(`"mediaWorker":${worker}`)).length;
  }

  it('runs media-1 and media-2, each on its own control port and half of the RTP range', async () => {
    const b = bridge();
    await waitFor(
      'media-1 and media-2 ready',
      10_000,
      () => readyPids(b, 'media-1').length === 1 && readyPids(b, 'media-2').length === 1,
    );
    for (const [i, name] of ['media-1', 'media-2'].entries()) {
      const line = b.logs.find((l) => l.includes(`"${name} ready"`)) ?? '';
      const detail = JSON.parse(line) as { control?: string; rtp?: string };
      expect(detail.control, name).to.equal(`127.0.0.1:${b.controlPort + i}`);
      expect(detail.rtp, name).to.equal(`${slices[i]?.rtpPortMin}-${slices[i]?.rtpPortMax}`);
    }
    await waitFor('signaling connected to both', 10_000, () => connectedLines(b, 1) >= 1 && connectedLines(b, 2) >= 1);
  });

  it('spreads calls over both; a SIGKILLed worker ends only its calls while the other goes on; it takes calls again once restarted', async () => {
    const b = bridge();
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await placeCall(b));
    // The least-loaded worker, ties to the first: 1, 2, 1, 2.
    expect(first.map((c) => c.worker)).to.deep.equal([0, 1, 0, 1]);
    await Promise.all(first.map((c) => rtpFlows(c)));

    const [pid] = readyPids(b, 'media-1');
    const killedAtMs = Date.now();
    process.kill(pid as number, 'SIGKILL');
    const onKilled = first.filter((c) => c.worker === 0);
    const onOther = first.filter((c) => c.worker === 1);
    const received = onOther.map((c) => c.caller.received.length);
    for (const call of onKilled) {
      const bye = await peer.request('BYE', call.sipCallId);
      peer.send(okFor(bye), b.sipPort);
      closeCaller(call);
    }
    for (const call of onKilled) {
      const record = await endedRecord(b, call.sipCallId);
      expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'media-lost' });
      expect(record.endedAtMs! - killedAtMs, 'ms from the kill to the end').to.be.at.most(5000);
    }

    // Meanwhile a new call is answered (by the worker left, unless media-1 is back already).
    const during = await placeCall(b);
    if (readyPids(b, 'media-1').length === 1) expect(during.worker).to.equal(1);
    await rtpFlows(during);
    // The other worker's calls never stopped: about 50 packets a second since the kill, and no BYE.
    const sinceKillMs = Date.now() - killedAtMs;
    onOther.forEach((call, i) => {
      const got = call.caller.received.length - (received[i] ?? 0);
      expect(got, `RTP packets on ${call.sipCallId} in the ${sinceKillMs} ms since the kill`).to.be.at.least(
        Math.floor((sinceKillMs / 20) * 0.6),
      );
    });
    expect(
      peer.received.some(
        (m) =>
          m.type === 'request' && m.method === 'BYE' && onOther.some((c) => c.sipCallId === m.headers.get('Call-ID')),
      ),
    ).to.equal(false);
    await Promise.all(onOther.map((c) => rtpFlows(c)));

    // The supervisor restarts media-1; signaling reconnects, and it is the least loaded: it gets the next call.
    await waitFor('media-1 restarted', 20_000, () => readyPids(b, 'media-1').length === 2);
    await waitFor('signaling reconnected to media-1', 10_000, () => connectedLines(b, 1) >= 2);
    expect(b.logs.some((l) => l.includes('media-1 exited') && l.includes('restarting'))).to.equal(true);
    expect(readyPids(b, 'media-2'), 'media-2 was never restarted').to.have.length(1);
    const after = await placeCall(b);
    expect(after.worker).to.equal(0);
    await rtpFlows(after);

    for (const call of [...onOther, during, after]) await hangUp(b, call);
    for (const call of [...onOther, during, after]) {
      expect((await endedRecord(b, call.sipCallId)).verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    }
  });

  it('leaves no live record, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge(), 15_000);
  });
});
