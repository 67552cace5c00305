import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import { assertBridgeIdle, cseqMethod, describeRun, endedRecord, runSipp, statusOf } from '../src/sipp.ts';

/** Slow on purpose: 64·T1 = 32 s of real time. `docs/testing.md` explains how to skip it. */
describe('SIPp: a 200 that is never ACKed (uac-no-ack.xml)', function () {
  this.timeout(120_000);
  const bridge = useBridge();

  it('retransmits the 200 at T1, 2·T1 … T2, then after 64·T1 sends BYE to our Contact and records no-ack', async () => {
    const run = await runSipp({
      scenario: 'uac-no-ack.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      timeoutMs: 60_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);

    const oks = run.messages.filter(
      (m) => m.direction === 'received' && statusOf(m) === 200 && cseqMethod(m) === 'INVITE',
    );
    const bye = run.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('BYE '));
    const first = oks[0]!;
    const gapsMs = oks.slice(1).map((m, i) => Math.round(m.atMs - oks[i]!.atMs));
    // RFC 3261 §13.3.1.4 with T1 = 500 ms, T2 = 4 s: 0.5, 1, 2, 4, 4 … s apart, about 10 resends in 32 s.
    expect(oks.length, `200s received, gaps ${gapsMs.join(', ')} ms`).to.be.within(9, 12);
    expect(gapsMs[0]).to.be.within(400, 800);
    expect(gapsMs[1]).to.be.within(850, 1300);
    expect(gapsMs[2]).to.be.within(1800, 2400);
    for (const gap of gapsMs.slice(3)) expect(gap).to.be.within(3700, 4500);
    // Every copy is the same 200 (same To tag): a retransmission, not a new response.
    expect(new Set(oks.map((m) => m.headers.find((h) => /^To:/i.test(h)))).size).to.equal(1);

    expect(bye, 'a BYE from the bridge').to.not.equal(undefined);
    const byeAfterMs = bye!.atMs - first.atMs;
    expect(byeAfterMs).to.be.within(31_000, 36_000);
    expect(
      oks.every((m) => m.atMs < bye!.atMs),
      'no 200 after the BYE',
    ).to.equal(true);

    const record = await endedRecord(bridge(), run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'no-ack' });
  });

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge(), 10_000);
  });
});
