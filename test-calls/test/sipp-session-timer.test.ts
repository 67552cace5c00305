import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { linesWithDtmf } from '../src/dtmf-in-logs.ts';
import {
  assertBridgeIdle,
  cseqMethod,
  describeRun,
  endedRecord,
  headerValues,
  runSipp,
  statusOf,
} from '../src/sipp.ts';

const TRANSPORTS = [
  { name: 'UDP', args: [] as string[] },
  { name: 'TCP', args: ['-t', 't1'] },
];

describe('SIPp session timers (RFC 4028) and INFO, over UDP and TCP', function () {
  this.timeout(180_000);
  let bridge: RunningBridge;

  before(async () => {
    // The RFC floor is 90 s; the tests use intervals of a few seconds.
    bridge = await startBridge({ env: { SESSION_MIN_SE_S: '2' } });
  });
  after(async () => {
    await bridge?.stop();
  });

  const target = (): string => `127.0.0.1:${bridge.sipPort}`;

  for (const transport of TRANSPORTS) {
    it(`${transport.name}: SIPp refreshes a 4 s session with UPDATE and re-INVITE and the call lives past several intervals`, async () => {
      const run = await runSipp({
        scenario: 'uac-session-refresh.xml',
        target: target(),
        service: '+15550199',
        extraArgs: transport.args,
        timeoutMs: 40_000,
      });
      expect(run.code, describeRun(run)).to.equal(0);
      const record = await endedRecord(bridge, run.sipCallIds[0]!);
      expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
      expect(run.durationMs).to.be.greaterThan(6000); // longer than the 4 s interval: refreshes kept it
    });

    it(`${transport.name}: without refreshes the bridge sends BYE before the session expires (verdict session-expired)`, async () => {
      const run = await runSipp({
        scenario: 'uac-session-expiry.xml',
        target: target(),
        service: '+15550199',
        extraArgs: transport.args,
        timeoutMs: 30_000,
      });
      expect(run.code, describeRun(run)).to.equal(0);
      const ok = run.messages.find(
        (m) => m.direction === 'received' && statusOf(m) === 200 && cseqMethod(m) === 'INVITE',
      );
      const bye = run.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('BYE '));
      expect(ok && bye, 'the 200 and our BYE').to.not.equal(undefined);
      // expiry − min(32, SE/3) = 6 − 2 = 4 s after the 200: not before, and before the session expired.
      expect(bye!.atMs - ok!.atMs).to.be.within(3500, 6000);
      const record = await endedRecord(bridge, run.sipCallIds[0]!);
      expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'session-expired' });
    });

    it(`${transport.name}: asked to refresh (refresher=uas), the bridge sends UPDATE with Session-Expires every half interval`, async () => {
      const run = await runSipp({
        scenario: 'uac-session-uas.xml',
        target: target(),
        service: '+15550199',
        extraArgs: transport.args,
        timeoutMs: 30_000,
      });
      expect(run.code, describeRun(run)).to.equal(0);
      const updates = run.messages.filter((m) => m.direction === 'received' && m.startLine.startsWith('UPDATE '));
      expect(updates.length).to.be.at.least(2);
      expect(headerValues(updates[0]!, 'Session-Expires')).to.deep.equal(['4;refresher=uas']);
      const record = await endedRecord(bridge, run.sipCallIds[0]!);
      expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    });

    it(`${transport.name}: refresher=uas to a peer without UPDATE in Allow: the bridge refreshes with a re-INVITE carrying its SDP unchanged`, async () => {
      const run = await runSipp({
        scenario: 'uac-session-reinvite.xml',
        target: target(),
        service: '+15550199',
        extraArgs: transport.args,
        timeoutMs: 30_000,
      });
      expect(run.code, describeRun(run)).to.equal(0);
      const ok = run.messages.find(
        (m) => m.direction === 'received' && statusOf(m) === 200 && cseqMethod(m) === 'INVITE',
      );
      const refreshes = run.messages.filter((m) => m.direction === 'received' && m.startLine.startsWith('INVITE '));
      expect(refreshes.length).to.be.at.least(2);
      // RFC 3264 §8: an unchanged session keeps its o= line, version included.
      const origin = (body: string): string | undefined => /^o=.*$/m.exec(body)?.[0];
      expect(origin(refreshes[0]!.body)).to.equal(origin(ok!.body));
      const record = await endedRecord(bridge, run.sipCallIds[0]!);
      expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    });

    it(`${transport.name}: a Session-Expires below Min-SE gets 422 with Min-SE`, async () => {
      const run = await runSipp({
        scenario: 'uac-session-too-small.xml',
        target: target(),
        service: '+15550199',
        extraArgs: transport.args,
        timeoutMs: 20_000,
      });
      expect(run.code, describeRun(run)).to.equal(0);
      const refused = run.messages.find((m) => m.direction === 'received' && statusOf(m) === 422);
      expect(headerValues(refused!, 'Min-SE')).to.deep.equal(['2']);
    });

    it(`${transport.name}: INFO DTMF (dtmf-relay and dtmf) reaches the agent, never a log; other bodies get 415, 469 and 400`, async () => {
      // The record shows which keys arrived only when the number says so (the default masks them).
      const set = await bridge.cli(['numbers', 'set', '+15550199', '--dtmf-in-records', 'digits']);
      expect(set.code, set.stderr).to.equal(0);
      const run = await runSipp({
        scenario: 'uac-info.xml',
        target: target(),
        service: '+15550199',
        extraArgs: transport.args,
        timeoutMs: 30_000,
      });
      expect(run.code, describeRun(run)).to.equal(0);
      const record = await endedRecord(bridge, run.sipCallIds[0]!, 10_000);
      const keys = record.transcript.filter((entry) => entry.speaker === 'caller' && entry.text.startsWith('[DTMF'));
      expect(
        keys.map((entry) => entry.text),
        JSON.stringify(record.transcript),
      ).to.deep.equal(['[DTMF 4]', '[DTMF 8]']);
      expect(linesWithDtmf(bridge.logs)).to.deep.equal([]);
    });
  }

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge);
  });
});
