import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { optionsStatus } from '../src/sip-probe.ts';
import { callRecords, cseqMethod, describeRun, headerValues, runSipp, statusOf } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const DRAIN_TIMEOUT_MS = 12_000;

describe('SIPp: SIGTERM during 20 live calls (drain)', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;

  before(async () => {
    bridge = await startBridge({ rtpPorts: 100, env: { DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) } });
  });
  after(async () => {
    await bridge?.stop();
  });

  it('accepts no new call, lets the 20 finish or BYEs them at the deadline with verdict drain, and exits 0', async () => {
    const target = `127.0.0.1:${bridge.sipPort}`;
    // Ten callers hang up by themselves 8 s after the answer, inside the drain window; ten stay on.
    const hangingUp = runSipp({
      scenario: 'uac-answer-bye.xml',
      target,
      service: '+15550199',
      calls: 10,
      rate: 10,
      pauseMs: 8000,
      timeoutMs: 60_000,
    });
    const staying = runSipp({
      scenario: 'uac-wait-bye.xml',
      target,
      service: '+15550199',
      calls: 10,
      rate: 10,
      timeoutMs: 60_000,
    });
    const records = callRecords(bridge);
    let statuses = '';
    await waitFor('20 calls answered', 30_000, async () => {
      const recent = await records.listRecent({ limit: 100 });
      statuses = recent.map((r) => `${r.status}${r.verdict ? `/${r.verdict.reason}` : ''}`).join(' ');
      return recent.filter((r) => r.status === 'answered').length === 20;
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: ${statuses}`);
    });

    const exited = new Promise<number | null>((resolve) => bridge.child.once('exit', (code) => resolve(code)));
    const signalledAt = Date.now();
    bridge.child.kill('SIGTERM');

    // Stop advertising: OPTIONS gets 503 once signaling has the signal.
    await waitFor(
      'OPTIONS 503 while draining',
      5000,
      async () => (await optionsStatus(bridge.sipPort, '127.0.0.1', 300)) === 503,
    );
    const late = await runSipp({
      scenario: 'uac-invite-final.xml',
      target,
      service: '+15550199',
      extraArgs: ['-key', 'ua', 'sipp voicebridge-tests'],
      timeoutMs: 10_000,
    });
    expect(late.code, describeRun(late)).to.equal(0);
    const refusal = late.messages.find(
      (m) => m.direction === 'received' && cseqMethod(m) === 'INVITE' && (statusOf(m) ?? 0) >= 300,
    );
    expect(statusOf(refusal!)).to.equal(503);
    expect(headerValues(refusal!, 'Retry-After')[0]).to.match(/^\d+$/);

    const [first, second] = await Promise.all([hangingUp, staying]);
    expect(first.code, describeRun(first)).to.equal(0);
    expect(first.stats.successful, 'callers that hung up during the drain got 200 to their BYE').to.equal(10);
    expect(second.code, describeRun(second)).to.equal(0);
    expect(second.stats.successful, 'callers still up at the deadline got our BYE').to.equal(10);
    const byeAt = Math.min(
      ...second.messages.filter((m) => m.direction === 'received' && m.startLine.startsWith('BYE ')).map((m) => m.atMs),
    );
    expect(byeAt - signalledAt, 'the BYEs come at the drain deadline, not before').to.be.at.least(
      DRAIN_TIMEOUT_MS - 1000,
    );

    expect(await exited, 'voicebridge start exit status').to.equal(0);
    const ended = await records.listRecent({ limit: 100 });
    expect(ended).to.have.length(20);
    const verdicts = ended.map((r) => `${r.verdict?.by}/${r.verdict?.reason}`).sort();
    expect(verdicts).to.deep.equal([
      ...Array<string>(10).fill('bridge/drain'),
      ...Array<string>(10).fill('caller/caller-bye'),
    ]);
  });
});
