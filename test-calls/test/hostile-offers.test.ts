import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { expect } from 'chai';
import { pino } from 'pino';
import { decodeControlJson, encodeControl, FRAME_KIND_CONTROL } from '@voicebridge/protocol';
import { writeRtpHeader } from '@voicebridge/rtp';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import {
  inviteText,
  newCallId,
  offerSdp,
  requestText,
  SipPeer,
  toTagOf,
} from '../../packages/signaling/test/sip-peer.ts';
import { freeRtpPortRange } from '../../test/support/free-port.ts';
import { holdsFor, waitFor } from '../../test/support/wait-for.ts';

const NUMBER = '+15550199';
const FLOOD = 40;
/** RFC 3550 §6.2 with A.7: the first report comes at most 1.5 × half the 5 s minimum interval after the start. */
const FIRST_RTCP_MAX_MS = 3750;

async function udp(port = 0): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return socket;
}

/**
 * What a hostile or careless caller can make the bridge send, found by probing with hostile SDP
 * offers (docs/security.md "Media"): the offer's address is only a claim, so nothing goes there until
 * the caller's own packets latch the path; broadcast and multicast targets are refused; a flood of
 * INVITEs for a number nobody configured writes nothing; running out of RTP ports is a 503 with
 * Retry-After. Signaling, a media worker and an accepting agent run in process, so the test reads
 * signaling's counter and its log.
 */
describe('hostile offers and floods against the bridge (real UDP, real Redis)', function () {
  this.timeout(60_000);
  const logLines: string[] = [];
  let bridge: InProcessBridge;
  let peer: SipPeer;
  const sockets: Socket[] = [];

  before(async () => {
    const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 5,
      agent:
        ({ channel }) =>
        async (job) => {
          let stopped!: () => void;
          const done = new Promise<void>((resolve) => (stopped = resolve));
          const end = channel.open(job.data.callId, 'agent', (m) => {
            if (m[0] === FRAME_KIND_CONTROL && (decodeControlJson(m) as { event?: string }).event === 'stop') stopped();
          });
          await end.ready;
          end.send(encodeControl({ event: 'ready' }));
          await job.updateProgress({ decision: 'accept' });
          await done;
          end.close();
        },
    });
  });
  beforeEach(async () => {
    peer = await SipPeer.open();
  });
  afterEach(() => {
    peer.close();
    for (const socket of sockets.splice(0)) socket.close();
  });
  after(() => bridge?.close());

  const sipPort = (): number => bridge.config.SIP_PORT;

  function invite(callId: string, sdp: string, number = NUMBER): string {
    const branch = `z9hG4bK${randomBytes(5).toString('hex')}`;
    peer.send(inviteText({ number, bridgePort: sipPort(), peerPort: peer.port, callId, branch, sdp }), sipPort());
    return branch;
  }

  /** ACK for a final response: on the INVITE's branch for a non-2xx (RFC 3261 §17.1.1.3), a new one for a 2xx. */
  function ack(callId: string, toTag: string, branch: string, number = NUMBER): void {
    const base = { bridgePort: sipPort(), peerPort: peer.port, callId, number, toTag, branch, cseq: 1 };
    peer.send(requestText('ACK', base), sipPort());
  }

  function aimedAt(family: 'IP4' | 'IP6', address: string): string {
    return offerSdp(40000).replace('c=IN IP4 127.0.0.1', `c=IN ${family} ${address}`);
  }

  it('refuses offers aimed at broadcast and multicast addresses with 488 and a Warning, allocating nothing', async () => {
    const targets: ['IP4' | 'IP6', string, RegExp][] = [
      ['IP4', '255.255.255.255', /^300 voicebridge ".*broadcast/],
      ['IP4', '240.0.0.9', /^300 voicebridge ".*broadcast/],
      ['IP4', '224.0.0.1', /^300 voicebridge ".*multicast/],
      ['IP6', 'ff02::1', /^300 voicebridge ".*multicast/],
    ];
    for (const [family, address, warning] of targets) {
      const callId = newCallId();
      const branch = invite(callId, aimedAt(family, address));
      const refused = await peer.response(488, 'INVITE', callId);
      ack(callId, toTagOf(refused), branch);
      expect(refused.headers.get('Warning'), address).to.match(warning);
    }
    expect(peer.received.some((m) => m.type === 'response' && m.status === 200)).to.equal(false);
    expect(bridge.signaling.media.callsOn(0)).to.equal(0);
  });

  it('refuses a re-INVITE that moves the media to a broadcast address with 488 and a Warning; the call goes on', async () => {
    const callId = newCallId();
    invite(callId, offerSdp(40000));
    const ok = await peer.response(200, 'INVITE', callId);
    const toTag = toTagOf(ok);
    const base = { bridgePort: sipPort(), peerPort: peer.port, callId, number: NUMBER, toTag };
    ack(callId, toTag, 'z9hG4bKack-re1');
    const body = aimedAt('IP4', '255.255.255.255');
    const reinvite = requestText('INVITE', { ...base, branch: 'z9hG4bKre-bcast', cseq: 2 }).replace(
      'Content-Length: 0\r\n\r\n',
      `Contact: <sip:caller@127.0.0.1:${peer.port}>\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    peer.send(reinvite, sipPort());
    const refused = await peer.response(488, 'INVITE', callId);
    expect(refused.headers.get('Warning')).to.match(/^300 voicebridge ".*broadcast/);
    peer.send(requestText('ACK', { ...base, branch: 'z9hG4bKre-bcast', cseq: 2 }), sipPort());
    // RFC 3261 §14.2: a refused re-INVITE leaves the session as it was; the caller hangs up normally.
    peer.send(requestText('BYE', { ...base, branch: 'z9hG4bKbye-re1', cseq: 3 }), sipPort());
    await peer.response(200, 'BYE', callId);
  });

  it('sends no RTP and no RTCP to the SDP address of a caller that never sends, until its own packets latch the path', async () => {
    // The SDP names ports P (RTP) and P + 1 (RTCP), both held here: neither may hear from the bridge.
    const { minPort } = await freeRtpPortRange(2);
    const sdpRtp = await udp(minPort);
    const sdpRtcp = await udp(minPort + 1);
    sockets.push(sdpRtp, sdpRtcp);
    let rtpHeard = 0;
    let rtcpHeard = 0;
    sdpRtp.on('message', () => rtpHeard++);
    sdpRtcp.on('message', () => rtcpHeard++);
    const callId = newCallId();
    invite(callId, offerSdp(minPort));
    const ok = await peer.response(200, 'INVITE', callId);
    const toTag = toTagOf(ok);
    ack(callId, toTag, `z9hG4bK${randomBytes(5).toString('hex')}`);
    const base = { bridgePort: sipPort(), peerPort: peer.port, callId, number: NUMBER, toTag, cseq: 2 };
    try {
      const ourPort = Number(/m=audio (\d+)/.exec(ok.body.toString())?.[1]);
      // Past the latest first RTCP report and ~190 ptimes: a caller that sent nothing got nothing.
      await holdsFor(
        'silence at the SDP RTP and RTCP ports',
        FIRST_RTCP_MAX_MS + 250,
        () => rtpHeard === 0 && rtcpHeard === 0,
      );
      // Then the caller speaks from its SDP address: three in-sequence packets latch it, our RTP follows.
      for (let i = 0; i < 3; i++) {
        const packet = Buffer.alloc(12 + 160, 0xff);
        writeRtpHeader(packet, 0, {
          marker: i === 0,
          payloadType: 0,
          sequenceNumber: 10 + i,
          timestamp: 160 * i,
          ssrc: 5,
        });
        sdpRtp.send(packet, ourPort, '127.0.0.1');
      }
      await waitFor('our RTP once the caller sent', 5000, () => rtpHeard >= 3);
    } finally {
      peer.send(requestText('BYE', { ...base, branch: `z9hG4bK${randomBytes(5).toString('hex')}` }), sipPort());
      await peer.response(200, 'BYE', callId);
    }
    const record = await waitFor('the ended record', 5000, async () => {
      const id = await bridge.records.findBySipCallId(callId);
      const found = id === undefined ? undefined : await bridge.records.get(id);
      return found?.status === 'ended' ? found : undefined;
    });
    expect(record.remoteRtp, 'the latched source').to.deep.equal({ address: '127.0.0.1', port: minPort });
    expect(record.sdpRtp).to.deep.equal({ address: '127.0.0.1', port: minPort });
  });

  it(`answers a flood of ${FLOOD} INVITEs for an unknown number with 404 each, writing no call record and counting them`, async () => {
    const before = bridge.signaling.calls.refusedBeforeAdmission;
    const callIds = Array.from({ length: FLOOD }, () => newCallId());
    const branches = callIds.map((callId) => invite(callId, offerSdp(40000), '+15550000'));
    for (const [i, callId] of callIds.entries()) {
      const refused = await peer.response(404, 'INVITE', callId);
      ack(callId, toTagOf(refused), branches[i]!, '+15550000');
    }
    await waitFor(
      `${FLOOD} refusals counted`,
      5000,
      () => bridge.signaling.calls.refusedBeforeAdmission >= before + FLOOD,
    );
    expect(bridge.signaling.calls.refusedBeforeAdmission).to.equal(before + FLOOD);
    for (const callId of callIds) expect(await bridge.records.findBySipCallId(callId), callId).to.equal(undefined);
  });

  it('answers 503 with Retry-After when every RTP port is taken, logging one warning line without a stack', async () => {
    await waitFor('no call holding a port', 5000, () => bridge.signaling.media.callsOn(0) === 0);
    const { RTP_PORT_MIN: min, RTP_PORT_MAX: max } = bridge.config;
    // Another program holds the whole range (the pool skips ports it cannot bind).
    for (let port = min; port <= max; port++) sockets.push(await udp(port));
    const linesBefore = logLines.length;
    const callId = newCallId();
    const branch = invite(callId, offerSdp(40000));
    const refused = await peer.response(503, 'INVITE', callId);
    ack(callId, toTagOf(refused), branch);
    expect(refused.headers.get('Retry-After')).to.match(/^[1-9]\d*$/);
    await waitFor('the refusal logged', 5000, () => logLines.length > linesBefore);
    const lines = logLines.slice(linesBefore).map((line) => JSON.parse(line) as Record<string, unknown>);
    const warnings = lines.filter((line) => line.level === 40 || line.level === 50);
    expect(warnings.map((line) => line.msg)).to.deep.equal(['call refused with 503: no free RTP port pair']);
    expect(logLines.slice(linesBefore).join('\n')).to.not.match(/"stack"|\\n\s+at /);
  });

  it('logs an INVITE whose Via is over SIP_MAX_HEADER_LINE_BYTES (so it cannot be answered) once for a burst of them', async () => {
    const linesBefore = logLines.length;
    const callId = newCallId();
    const text = inviteText({
      number: NUMBER,
      bridgePort: sipPort(),
      peerPort: peer.port,
      callId,
      branch: `z9hG4bK${'x'.repeat(bridge.config.SIP_MAX_HEADER_LINE_BYTES)}`,
    });
    for (let i = 0; i < 20; i++) peer.send(text, sipPort());
    await waitFor('the drop logged', 5000, () =>
      logLines.slice(linesBefore).some((line) => line.includes('SIP message dropped unanswered')),
    );
    // An OPTIONS sent after the burst is answered: everything before it was handled.
    const options = newCallId();
    peer.send(
      requestText('OPTIONS', {
        bridgePort: sipPort(),
        peerPort: peer.port,
        callId: options,
        number: NUMBER,
        toTag: '',
        branch: 'z9hG4bKopt',
        cseq: 1,
      }),
      sipPort(),
    );
    await peer.response(200, 'OPTIONS', options);
    const dropped = logLines.slice(linesBefore).filter((line) => line.includes('SIP message dropped unanswered'));
    expect(dropped).to.have.length(1);
    expect(peer.received.filter((m) => m.headers.get('Call-ID') === callId)).to.deep.equal([]);
  });
});
