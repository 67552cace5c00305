import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import {
  assertBridgeIdle,
  cseqMethod,
  describeRun,
  endedRecord,
  headerValues,
  listedCalls,
  runSipp,
  statusOf,
} from '../src/sipp.ts';

describe('SIPp: offers and numbers the bridge refuses, or takes only in part', function () {
  this.timeout(90_000);
  const bridge = useBridge();
  const target = (): string => `127.0.0.1:${bridge().sipPort}`;

  it('answers 404 to each of 20 INVITEs for a number nobody configured and writes no call record for any (uac-unknown-number.xml)', async () => {
    const run = await runSipp({
      scenario: 'uac-unknown-number.xml',
      target: target(),
      service: '+15550000',
      calls: 20,
      rate: 100,
      timeoutMs: 15_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.stats.successful, describeRun(run)).to.equal(20);
    // A flood of misdialled INVITEs must not become a flood of Redis writes: refusals before admission are counted, not recorded.
    const listed = new Set((await listedCalls(bridge())).map((r) => r.sipCallId));
    expect(run.sipCallIds.filter((id) => listed.has(id))).to.deep.equal([]);
  });

  it('answers 488 with a Warning to an offer of only G.722 and opus (uac-codec-mismatch.xml)', async () => {
    const run = await runSipp({
      scenario: 'uac-codec-mismatch.xml',
      target: target(),
      service: '+15550199',
      timeoutMs: 10_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const refused = run.messages.find((m) => m.direction === 'received' && statusOf(m) === 488);
    // RFC 3261 §20.43: warn-code SP warn-agent SP warn-text; 305 = incompatible media format.
    expect(headerValues(refused!, 'Warning')[0]).to.match(/^305 \S+ ".+"$/);
    const record = await endedRecord(bridge(), run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'rejected', sipStatus: 488 });
  });

  it('takes the audio of an audio+video offer and refuses the video with port 0, keeping both m= lines (uac-video-offer.xml)', async () => {
    const run = await runSipp({
      scenario: 'uac-video-offer.xml',
      target: target(),
      service: '+15550199',
      timeoutMs: 20_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const ok = run.messages.find(
      (m) => m.direction === 'received' && statusOf(m) === 200 && cseqMethod(m) === 'INVITE',
    );
    const mLines = ok!.body.split(/\r?\n/).filter((line) => line.startsWith('m='));
    expect(mLines).to.have.length(2);
    expect(mLines[0]).to.match(/^m=audio [1-9]\d* RTP\/AVP 0 101$/);
    expect(mLines[1]).to.match(/^m=video 0 RTP\/AVP 96$/);
    const record = await endedRecord(bridge(), run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge());
  });
});
