import { expect } from 'chai';
import { AGENT_REFUSAL_CODES, AgentDecisionSchema, TERMINATION_REASONS } from '../src/index.ts';

const refusal = {
  decision: 'refuse',
  code: 'agent-misconfigured',
  reason: 'OPENAI_API_KEY is not set',
  sipStatus: 503,
};

describe('AgentDecisionSchema (accept or refuse before the answer)', () => {
  it('takes accept, and a refusal with a verdict code, a reason and a final error status', () => {
    expect(AgentDecisionSchema.parse({ decision: 'accept' })).to.deep.equal({ decision: 'accept' });
    expect(AgentDecisionSchema.parse(refusal)).to.deep.equal(refusal);
    expect(AgentDecisionSchema.parse({ ...refusal, sipStatus: 603 }).decision).to.equal('refuse');
  });

  it('refuses a status that is not a final error, or one that needs headers or means a cancel', () => {
    for (const sipStatus of [200, 302, 399, 700, 401, 405, 407, 420, 421, 422, 423, 487, 503.5])
      expect(AgentDecisionSchema.safeParse({ ...refusal, sipStatus }).success, String(sipStatus)).to.equal(false);
  });

  it('refuses an unknown code, an empty or overlong reason, and progress that is no decision', () => {
    expect(AgentDecisionSchema.safeParse({ ...refusal, code: 'rejected' }).success).to.equal(false);
    expect(AgentDecisionSchema.safeParse({ ...refusal, reason: '' }).success).to.equal(false);
    expect(AgentDecisionSchema.safeParse({ ...refusal, reason: 'x'.repeat(501) }).success).to.equal(false);
    for (const progress of [0, 50, 'accept', { decision: 'maybe' }, null])
      expect(AgentDecisionSchema.safeParse(progress).success, JSON.stringify(progress)).to.equal(false);
  });

  it('every refusal code is a termination verdict the call record can carry', () => {
    for (const code of AGENT_REFUSAL_CODES) expect(TERMINATION_REASONS).to.include(code);
  });
});
