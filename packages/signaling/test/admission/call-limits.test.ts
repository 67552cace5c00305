import { expect } from 'chai';
import { CallLimits } from '../../src/admission/call-limits.ts';
import { trunkConfig } from '../fixtures.ts';

const trunk = trunkConfig;

describe('CallLimits', () => {
  let nowMs: number;
  beforeEach(() => {
    nowMs = 5_000_000;
  });

  it('refuses beyond MAX_CONCURRENT_CALLS and a trunk maxCalls with Retry-After', () => {
    const limits = new CallLimits({ maxCalls: 10, callsPerSecond: 1000, nowMs: () => nowMs });
    expect(limits.admit(undefined, 9, 0)).to.equal(undefined);
    expect(limits.admit(undefined, 10, 0)).to.deep.equal({ limit: 'MAX_CONCURRENT_CALLS', retryAfterS: 5 });
    expect(limits.admit(trunk({ maxCalls: 2 }), 3, 2)).to.deep.equal({
      limit: 'trunk carrier maxCalls',
      retryAfterS: 5,
    });
    expect(limits.admit(trunk({ maxCalls: 2 }), 3, 1)).to.equal(undefined);
  });

  it('allows one second of a trunk callsPerSecond at once, then refills at the rate', () => {
    const limits = new CallLimits({ maxCalls: 100, callsPerSecond: 1000, nowMs: () => nowMs });
    const t = trunk({ callsPerSecond: 2 });
    expect(limits.admit(t, 0, 0)).to.equal(undefined);
    expect(limits.admit(t, 0, 0)).to.equal(undefined);
    const refused = limits.admit(t, 0, 0);
    expect(refused?.limit).to.equal('trunk carrier callsPerSecond');
    expect(refused?.retryAfterS).to.equal(1);
    nowMs += 500;
    expect(limits.admit(t, 0, 0)).to.equal(undefined);
    expect(limits.admit(t, 0, 0)?.limit).to.equal('trunk carrier callsPerSecond');
  });

  it('applies MAX_CALLS_PER_SECOND to every source, and a refusal takes no token', () => {
    const limits = new CallLimits({ maxCalls: 100, callsPerSecond: 3, nowMs: () => nowMs });
    for (let i = 0; i < 3; i++) expect(limits.admit(undefined, 0, 0)).to.equal(undefined);
    expect(limits.admit(undefined, 0, 0)?.limit).to.equal('MAX_CALLS_PER_SECOND');
    expect(limits.admit(undefined, 100, 0)?.limit).to.equal('MAX_CONCURRENT_CALLS');
    nowMs += 334;
    expect(limits.admit(undefined, 0, 0)).to.equal(undefined);
  });

  it('a trunk whose rate changed gets a bucket at the new rate', () => {
    const limits = new CallLimits({ maxCalls: 100, callsPerSecond: 1000, nowMs: () => nowMs });
    expect(limits.admit(trunk({ callsPerSecond: 1 }), 0, 0)).to.equal(undefined);
    expect(limits.admit(trunk({ callsPerSecond: 1 }), 0, 0)).to.not.equal(undefined);
    expect(limits.admit(trunk({ callsPerSecond: 5 }), 0, 0)).to.equal(undefined);
  });
});
