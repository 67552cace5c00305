import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import { assertBridgeIdle, cseqMethod, describeRun, endedRecord, runSipp, statusOf } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

describe('SIPp: a call answered and hung up by the caller (uac-answer-bye.xml)', function () {
  this.timeout(90_000);
  const bridge = useBridge();

  it('answers the echo number with an SDP answer, carries RTP both ways, and ends on our BYE with 200', async () => {
    const run = await runSipp({
      scenario: 'uac-answer-bye.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      pauseMs: 2000,
      timeoutMs: 20_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.stats.successful, describeRun(run)).to.equal(1);

    const ok = run.messages.find(
      (m) => m.direction === 'received' && statusOf(m) === 200 && cseqMethod(m) === 'INVITE',
    );
    expect(ok, 'a 200 to the INVITE').to.not.equal(undefined);
    // RFC 3264 §6.1: one m= line, our first codec (PCMA), telephone-event kept with its PT.
    expect(ok!.body).to.match(/^m=audio [1-9]\d* RTP\/AVP 8 101\r?$/m);
    expect(ok!.body).to.match(/^a=rtpmap:101 telephone-event\/8000\r?$/m);

    const record = await endedRecord(bridge(), run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    expect(record.codec).to.equal('PCMA');
    expect(record.answeredAtMs).to.be.a('number');

    // The media worker logs its counters when the session closes. g711a.pcap holds 30 ms packets:
    // 2 s of it is 67 packets, all of which must arrive on loopback. The bridge paces its own
    // stream (greeting, then the echo) at 20 ms from the ACK: about 100.
    let closed: { packetsReceived?: number; packetsSent?: number } | undefined;
    await waitFor('the media session to close', 5000, () => {
      const line = bridge().logs.find((l) => l.includes('"media closed"') && l.includes(record.callId));
      closed = line === undefined ? undefined : (JSON.parse(line) as typeof closed);
      return closed !== undefined;
    });
    expect(closed!.packetsReceived, 'RTP packets the bridge received').to.be.at.least(60);
    expect(closed!.packetsSent, 'RTP packets the bridge sent').to.be.at.least(80);
  });

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge());
  });
});
