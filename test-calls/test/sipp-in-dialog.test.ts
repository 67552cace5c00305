import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import {
  assertBridgeIdle,
  cseqMethod,
  describeRun,
  endedRecord,
  headerValues,
  runSipp,
  statusOf,
  type SippResult,
} from '../src/sipp.ts';

const TRANSPORTS = [
  { name: 'UDP', args: [] as string[] },
  { name: 'TCP', args: ['-t', 't1'] },
];

/** Responses sipp received, as `status CSeq` strings in order (retransmissions included). */
function responses(run: SippResult): string[] {
  return run.messages
    .filter((m) => m.direction === 'received' && statusOf(m) !== undefined)
    .map((m) => `${statusOf(m)} ${headerValues(m, 'CSeq')[0] ?? ''}`);
}

describe('SIPp in-dialog requests: re-INVITE hold/unhold/codec, UPDATE, glare, OPTIONS (UDP and TCP)', function () {
  this.timeout(120_000);
  const bridge = useBridge();

  /** One call from SIPp's `scenario` over `transport`, which must end with SIPp's exit 0. */
  async function callOver(transport: (typeof TRANSPORTS)[number], scenario: string): Promise<SippResult> {
    const run = await runSipp({
      scenario,
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      extraArgs: transport.args,
      timeoutMs: 40_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    return run;
  }

  for (const transport of TRANSPORTS) {
    it(`${transport.name}: re-INVITE hold (sendonly, c=0.0.0.0), unhold, codec change, 488 for an unusable offer, in-dialog OPTIONS`, async () => {
      const run = await callOver(transport, 'uac-reinvite-hold.xml');
      const seen = responses(run).filter((r) => !r.startsWith('1'));
      expect(seen.filter((r) => r !== '200 2 INVITE')).to.deep.equal([
        '200 1 INVITE',
        '200 3 INVITE',
        '200 4 INVITE',
        '200 5 INVITE',
        '488 6 INVITE',
        '200 7 OPTIONS',
        '200 8 BYE',
      ]);
      const holdOks = seen.filter((r) => r === '200 2 INVITE').length;
      // RFC 3261 §13.3.1.4 via §14.2: the 2xx to a re-INVITE is retransmitted until the ACK (held back 2.5 s).
      if (transport.name === 'UDP') expect(holdOks, 'retransmitted 200s to the hold re-INVITE').to.be.at.least(3);
      else expect(holdOks).to.equal(1);
      // Every 200 to a re-INVITE carries our Contact and an SDP whose o= version keeps growing.
      const versions = run.messages
        .filter((m) => m.direction === 'received' && statusOf(m) === 200 && cseqMethod(m) === 'INVITE')
        .map((m) => Number(/^o=\S+ \S+ (\d+)/m.exec(m.body)?.[1]));
      expect(new Set(versions).size, `o= versions ${versions.join(',')}`).to.equal(5);
      const record = await endedRecord(bridge(), run.sipCallIds[0]!);
      expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
      const updates = bridge().logs.filter((line) => line.includes('"media updated"') && line.includes(record.callId));
      expect(updates.map((line) => (JSON.parse(line) as { direction: string }).direction)).to.deep.equal([
        'recvonly',
        'sendrecv',
        'recvonly',
        'sendrecv',
      ]);
    });

    it(`${transport.name}: UPDATE with SDP (inactive, sendrecv) and without (refresh), 491 on glare with our pending offer`, async () => {
      const run = await callOver(transport, 'uac-update.xml');
      expect([...new Set(responses(run).filter((r) => !r.startsWith('1')))]).to.deep.equal([
        '200 1 INVITE',
        '200 2 UPDATE',
        '200 3 UPDATE',
        '200 4 UPDATE',
        '200 5 INVITE',
        '491 6 UPDATE',
        '200 7 BYE',
      ]);
      const record = await endedRecord(bridge(), run.sipCallIds[0]!);
      expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
      const updates = bridge().logs.filter((line) => line.includes('"media updated"') && line.includes(record.callId));
      // inactive, sendrecv, then the answer in the ACK to our offer.
      expect(updates.map((line) => (JSON.parse(line) as { direction: string }).direction)).to.deep.equal([
        'inactive',
        'sendrecv',
        'sendrecv',
      ]);
    });
  }

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge());
  });
});
