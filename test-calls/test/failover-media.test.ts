import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import { killMidCall, readyPids } from '../src/bridge-processes.ts';
import { assertBridgeIdle, describeRun, runSipp } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

/**
 * Real calls (SIPp) through the real bridge while one of its processes is SIGKILLed. The
 * caller must still be sent a BYE and every record must end with a verdict.
 */
describe('failover: SIGKILL of the media process mid-call', function () {
  this.timeout(120_000);
  const bridge = useBridge();

  it('the caller gets a BYE within 5 s, the record says media-lost, and the restarted media takes calls', async () => {
    // Resolves only when the caller received a BYE and answered it.
    const { callId, killedAtMs, record } = await killMidCall(bridge(), 'media');
    expect(record.callId).to.equal(callId);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'media-lost' });
    process.stdout.write(`      media SIGKILL → BYE (record ended) after ${record.endedAtMs! - killedAtMs} ms\n`);
    expect(record.endedAtMs! - killedAtMs, 'ms from the kill to the BYE').to.be.at.most(5000);

    await waitFor('media restarted', 20_000, () => readyPids(bridge(), 'media').length === 2);
    await waitFor(
      'signaling reconnected to media',
      10_000,
      () => bridge().logs.filter((l) => l.includes('"media worker connected"')).length >= 2,
    );
    const again = await runSipp({
      scenario: 'uac-answer-bye.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      pauseMs: 1000,
      timeoutMs: 20_000,
    });
    expect(again.code, describeRun(again)).to.equal(0);
  });

  it('leaves no live record, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge(), 15_000);
  });
});
