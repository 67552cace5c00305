import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import type { RunningBridge } from '../src/bridge-harness.ts';
import { assertBridgeIdle, callRecords, describeRun, runSipp } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

/**
 * Short calls to the echo number: 50 clean (10 at a time), then 200 with SIPp dropping 10% of what it
 * sends and receives (20 at a time, 20 per second). Only retransmissions on both sides keep those
 * calls alive. The 1,000-call run at 50 calls/s is measured by hand (docs/testing.md).
 */
describe('SIPp: 50 calls in a row, with and without packet loss (uac-loss.xml)', function () {
  this.timeout(240_000);
  const bridge = useBridge({ rtpPorts: 120 });

  it('completes 50 calls (10 at once, 10 per second) with none failed', async () => {
    const run = await runSipp({
      scenario: 'uac-loss.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      calls: 50,
      concurrency: 10,
      rate: 10,
      pauseMs: 500,
      timeoutMs: 60_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.stats.successful, describeRun(run)).to.equal(50);
    expect(run.stats.failed, describeRun(run)).to.equal(0);
    await expectVerdicts(bridge(), run.sipCallIds, 'caller-bye');
  });

  it('completes 200 calls with none failed while SIPp loses 10% of what it sends and receives (-lost 10)', async () => {
    const run = await runSipp({
      scenario: 'uac-loss.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      calls: 200,
      concurrency: 20,
      rate: 20,
      pauseMs: 500,
      extraArgs: ['-lost', '10'],
      timeoutMs: 120_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.stats.successful, describeRun(run)).to.equal(200);
    expect(run.stats.failed, describeRun(run)).to.equal(0);
    expect(run.stats.retransmissions, 'SIPp had to retransmit: the loss was real').to.be.greaterThan(0);
    await expectVerdicts(bridge(), run.sipCallIds, 'caller-bye');
  });

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge(), 10_000);
  });
});

/** Every call's record ended with `reason` (the last writes may land just after SIPp exits). */
async function expectVerdicts(bridge: RunningBridge, sipCallIds: string[], reason: string): Promise<void> {
  const records = callRecords(bridge);
  const expected = { [`ended/${reason}`]: sipCallIds.length };
  let reasons: Record<string, number> = {};
  await waitFor('every record to end', 5000, async () => {
    reasons = {};
    for (const sipCallId of sipCallIds) {
      const callId = await records.findBySipCallId(sipCallId);
      const record = callId === undefined ? undefined : await records.get(callId);
      const key = record === undefined ? 'missing' : `${record.status}/${record.verdict?.reason ?? 'none'}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
    return JSON.stringify(reasons) === JSON.stringify(expected);
  }).catch(() => undefined);
  expect(reasons).to.deep.equal(expected);
}
