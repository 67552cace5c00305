import { expect } from 'chai';
import {
  DIAL_VERDICTS,
  DialOutcomeSchema,
  DialRequestSchema,
  TERMINATION_REASONS,
  dialVerdictOfStatus,
  newCallId,
  parseSipReason,
} from '../src/index.ts';

function request(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    callId: newCallId(),
    trunk: 'carrier',
    destination: '+15550777',
    callerId: '+15550100',
    number: '+15550100',
    ringTimeoutS: 30,
    metadata: { campaign: 'reminders' },
    requestedAtMs: 1,
    ...over,
  };
}

describe('dial contract', () => {
  it('every dial verdict is a registered termination verdict', () => {
    for (const verdict of DIAL_VERDICTS) expect(TERMINATION_REASONS).to.include(verdict);
  });

  it('maps final statuses: 486/600 busy, 408/480 no-answer, 603 rejected, 404/484/604 invalid-number, else failed', () => {
    const cases: [number, string][] = [
      [200, 'answered'],
      [486, 'busy'],
      [600, 'busy'],
      [408, 'no-answer'],
      [480, 'no-answer'],
      [603, 'rejected'],
      [404, 'invalid-number'],
      [484, 'invalid-number'],
      [604, 'invalid-number'],
      [403, 'failed'],
      [500, 'failed'],
      [503, 'failed'],
      [488, 'failed'],
    ];
    for (const [status, verdict] of cases) expect(dialVerdictOfStatus(status), String(status)).to.equal(verdict);
  });

  it('a request names the field that is wrong', () => {
    expect(DialRequestSchema.safeParse(request()).success).to.equal(true);
    const bad = DialRequestSchema.safeParse(request({ destination: '5550777' }));
    expect(bad.success).to.equal(false);
    expect(bad.error?.issues[0]?.path).to.deep.equal(['destination']);
    const keys = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expect(DialRequestSchema.safeParse(request({ metadata: keys })).success).to.equal(false);
    expect(DialRequestSchema.safeParse(request({ ringTimeoutS: 0 })).success).to.equal(false);
  });

  it('an outcome carries verdict, status, Reason, ring time and attempts', () => {
    const outcome = {
      verdict: 'busy',
      finalStatus: 486,
      reason: parseSipReason('Q.850;cause=17;text="User busy"'),
      ringMs: 1200,
      attempts: 2,
    };
    expect(DialOutcomeSchema.parse(outcome).reason).to.deep.equal({ protocol: 'Q.850', cause: 17, text: 'User busy' });
  });

  it('parses Reason headers (RFC 3326) and refuses garbage', () => {
    expect(parseSipReason('SIP ;cause=200 ;text="Call completed elsewhere"')).to.deep.equal({
      protocol: 'SIP',
      cause: 200,
      text: 'Call completed elsewhere',
    });
    expect(parseSipReason('Q.850;cause=16, SIP;cause=200')).to.deep.equal({ protocol: 'Q.850', cause: 16 });
    expect(parseSipReason(undefined)).to.equal(undefined);
    expect(parseSipReason('"quoted"')).to.equal(undefined);
  });
});
