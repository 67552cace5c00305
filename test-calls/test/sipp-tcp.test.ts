import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import { assertBridgeIdle, cseqMethod, describeRun, endedRecord, runSipp, statusOf } from '../src/sipp.ts';

describe('SIPp over TCP (uac-answer-bye.xml with -t t1)', function () {
  this.timeout(90_000);
  const bridge = useBridge();

  it('answers 20 calls over one TCP connection and ends each on the caller BYE, 0 failed', async () => {
    const run = await runSipp({
      scenario: 'uac-answer-bye.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      calls: 20,
      rate: 10,
      concurrency: 10,
      pauseMs: 500,
      extraArgs: ['-t', 't1'],
      timeoutMs: 40_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.stats.successful, describeRun(run)).to.equal(20);
    const ok = run.messages.find(
      (m) => m.direction === 'received' && statusOf(m) === 200 && cseqMethod(m) === 'INVITE',
    );
    // A TCP caller's in-dialog requests must come back over TCP (RFC 3261 §8.1.1.8, §18).
    expect(ok?.raw ?? '').to.match(/Contact: <sip:[^>]*;transport=tcp>/);
    const record = await endedRecord(bridge(), run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge());
  });
});
