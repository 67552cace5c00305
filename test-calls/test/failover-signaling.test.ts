import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import { killMidCall } from '../src/bridge-processes.ts';
import { assertBridgeIdle } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

/**
 * A real call (SIPp) through the real bridge while the signaling process is SIGKILLed. The
 * supervisor restarts it; the new process closes the record the old one left live (`bridge-restart`),
 * sends the caller a BYE from the record's dialog snapshot and tells media to let the call go.
 */
describe('failover: SIGKILL of the signaling process mid-call', function () {
  this.timeout(120_000);
  // One recogniser (the echo number needs none): four loading their models while the restarted
  // process loads its modules would measure the box, not the restart.
  const bridge = useBridge({ env: { STT_POOL_SIZE: '1' } });

  it('the restart takes the node lease at once and BYEs the caller within 1 s of its first log line (4-5 s after the kill on a quiet box); the record is closed with bridge-restart', async () => {
    // Resolves only when the caller received a BYE and answered it.
    const { callId, killedAtMs, record } = await killMidCall(bridge(), 'signaling', 10_000);
    expect(record.callId).to.equal(callId);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'bridge-restart' });
    const byeLine = await waitFor('the BYE log line', 5000, () =>
      bridge().logs.find((l) => l.includes(callId) && l.includes('"BYE sent for a call left up by an earlier run"')),
    );
    const byeAtMs = (JSON.parse(byeLine) as { time: number }).time;
    // The restarted process's first line: what came before it is the box loading its modules (1-4 s
    // idle, over 6 s at a load average of 18 on 2 cores), what comes after is ours to keep short.
    const firstLineAtMs = bridge()
      .logs.filter((l) => l.startsWith('{"level"') && l.includes('"service":"signaling"'))
      .map((l) => (JSON.parse(l) as { time: number }).time)
      .find((time) => time > killedAtMs);
    if (firstLineAtMs === undefined) throw new Error('no log line from the restarted signaling process');
    process.stdout.write(
      `      signaling SIGKILL → first line of the restart after ${firstLineAtMs - killedAtMs} ms, record closed after ${record.endedAtMs! - killedAtMs} ms, BYE sent after ${byeAtMs - killedAtMs} ms\n`,
    );
    expect(byeAtMs - firstLineAtMs, 'ms from the first line of the restarted process to the BYE').to.be.at.most(1000);
    // 5 s is the aim (met at the load averages up to ~15 measured here); the bound leaves room for a busier box.
    expect(byeAtMs - killedAtMs, 'ms from the kill to the BYE').to.be.at.most(10_000);
    // Same host, the holder's pid gone: no wait for the lease to expire.
    expect(bridge().logs.some((l) => l.includes('"node lease taken over from a process of this host that is gone"'))).to
      .be.true;
    await waitFor('media closed the call', 10_000, () =>
      bridge().logs.some((l) => l.includes('"media closed"') && l.includes(callId)),
    );
  });

  it('leaves no live record, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge(), 15_000);
  });
});
