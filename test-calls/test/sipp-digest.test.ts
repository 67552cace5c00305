import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import {
  assertBridgeIdle,
  callRecords,
  cseqMethod,
  describeRun,
  endedRecord,
  headerValues,
  runSipp,
  statusOf,
} from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

describe('SIPp against a trunk with inbound digest (RFC 3261 §22, RFC 8760)', function () {
  this.timeout(120_000);
  // SIPp 3.6 answers only the first challenge and only MD5: MD5 first, SHA-256 still offered.
  const bridge = useBridge({ env: { SIP_DIGEST_ALGORITHMS: 'MD5,SHA-256' } });

  before(async () => {
    const added = await bridge().cli([
      'trunks',
      'add',
      'digest-carrier',
      '--source',
      '127.0.0.1',
      '--auth-username',
      'carrier',
      '--auth-password',
      'Tr0ub4dor&3',
    ]);
    expect(added.code, added.stderr).to.equal(0);
    // The signaling process re-reads trunks every second and says nothing when it has: time must pass.
    // eslint-disable-next-line no-restricted-globals -- no event to await (see above)
    await new Promise((resolve) => setTimeout(resolve, 2500));
  });

  it('answers the call once the carrier answers the 401 with the right credentials', async () => {
    const run = await runSipp({
      scenario: 'uac-digest.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      pauseMs: 500,
      extraArgs: ['-au', 'carrier', '-ap', 'Tr0ub4dor&3'],
      timeoutMs: 30_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const challenge = run.messages.find((m) => m.direction === 'received' && statusOf(m) === 401);
    expect(headerValues(challenge!, 'WWW-Authenticate').join('\n'))
      .to.include('algorithm=SHA-256')
      .and.to.include('algorithm=MD5');
    const authorization = run.messages.find(
      (m) => m.direction === 'sent' && cseqMethod(m) === 'INVITE' && /Authorization:/i.test(m.raw),
    );
    expect(authorization?.raw).to.match(/Authorization: Digest username="carrier"/);
    const record = await endedRecord(bridge(), run.sipCallIds[0]!);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    expect(JSON.stringify(record)).to.not.include('Tr0ub4dor');
  });

  for (const [what, user, password] of [
    ['a wrong password', 'carrier', 'password1'],
    ['an unknown user', 'admin', 'admin'],
  ] as const) {
    it(`gives ${what} a second 401 and creates no call record`, async () => {
      const run = await runSipp({
        scenario: 'uac-digest-refused.xml',
        target: `127.0.0.1:${bridge().sipPort}`,
        service: '+15550199',
        extraArgs: ['-au', user, '-ap', password],
        timeoutMs: 30_000,
      });
      expect(run.code, describeRun(run)).to.equal(0);
      const statuses = run.messages.filter((m) => m.direction === 'received').map((m) => statusOf(m));
      expect(statuses.filter((s) => s === 401)).to.have.length(2);
      expect(statuses.some((s) => s !== undefined && s >= 180 && s < 300)).to.equal(false);
      expect(await callRecords(bridge()).findBySipCallId(run.sipCallIds[0]!)).to.equal(undefined);
      // The log line travels through the supervisor's pipe: wait for it (bounded), then check it.
      const expected = `SIP digest authentication failed (${user === 'admin' ? 'unknown-user' : 'wrong-password'})`;
      const logged = () => bridge().logs.some((line) => line.includes(expected) && line.includes('from 127.0.0.1'));
      await waitFor(`the log line: ${expected}`, 5000, logged);
    });
  }

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge());
  });
});
