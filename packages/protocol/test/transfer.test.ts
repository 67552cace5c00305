import { expect } from 'chai';
import {
  AgentToMediaSchema,
  MediaEventSchema,
  MediaRequestSchema,
  MediaToAgentSchema,
  NumberConfigSchema,
  transferTargetAllowed,
} from '../src/index.ts';

const NUMBER = {
  version: 2,
  number: '+15550100',
  agent: { kind: 'echo' },
  enabled: true,
  configVersion: 1,
  updatedAtMs: 0,
} as const;

describe('transfer messages and transferTargets', () => {
  it('an agent asks media for a transfer with a request id; an empty target is refused', () => {
    expect(
      AgentToMediaSchema.parse({ event: 'transfer', target: '+15550123', requestId: 'x1', epoch: 2 }),
    ).to.deep.equal({
      event: 'transfer',
      target: '+15550123',
      requestId: 'x1',
      epoch: 2,
    });
    expect(AgentToMediaSchema.safeParse({ event: 'transfer', target: '' }).success).to.equal(false);
    expect(AgentToMediaSchema.safeParse({ event: 'transfer', target: 'x'.repeat(257) }).success).to.equal(false);
  });

  it('media forwards it to signaling as a transfer event naming the call', () => {
    expect(
      MediaEventSchema.parse({ event: 'transfer', callId: 'c1', target: 'sip:desk@pbx.example.com' }),
    ).to.deep.include({ event: 'transfer', callId: 'c1' });
    expect(MediaEventSchema.safeParse({ event: 'transfer', target: '+15550123' }).success).to.equal(false);
  });

  it('signaling reports progress to media as a transfer-progress request; states are trying, success, failure', () => {
    const request = {
      id: 7,
      method: 'transfer-progress',
      params: { callId: 'c1', requestId: 'x1', state: 'failure', status: 486, reason: 'Busy Here' },
    };
    expect(MediaRequestSchema.parse(request)).to.deep.equal(request);
    expect(
      MediaRequestSchema.safeParse({ ...request, params: { ...request.params, state: 'maybe' } }).success,
    ).to.equal(false);
    expect(MediaRequestSchema.safeParse({ ...request, params: { ...request.params, status: 99 } }).success).to.equal(
      false,
    );
  });

  it('media hands the agent a transfer-result carrying the refusal code', () => {
    const result = {
      event: 'transfer-result',
      requestId: 'x1',
      state: 'failure',
      code: 'VB_TRANSFER_NOT_ALLOWED',
      reason: 'target not allowed',
    };
    expect(MediaToAgentSchema.parse(result)).to.deep.equal(result);
  });

  it('a number may list transfer targets: numbers and sip:/sips:/tel: URIs, * as a wildcard', () => {
    const config = NumberConfigSchema.parse({
      ...NUMBER,
      transferTargets: ['+15550123', '+1555*', 'sip:*@pbx.example.com', 'tel:+15550999'],
    });
    expect(config.transferTargets).to.have.length(4);
    for (const bad of ['http://example.com', 'sip:a b@host', 'call bob', '']) {
      expect(NumberConfigSchema.safeParse({ ...NUMBER, transferTargets: [bad] }).success, bad).to.equal(false);
    }
    expect(NumberConfigSchema.parse(NUMBER).transferTargets).to.equal(undefined);
  });

  it('allows only targets on the list: exact numbers, wildcards, URIs case-insensitively', () => {
    const list = ['+15550123', '+1666*', 'sip:*@PBX.example.com'];
    expect(transferTargetAllowed(list, '+15550123')).to.equal(true);
    expect(transferTargetAllowed(list, '+155501234')).to.equal(false);
    expect(transferTargetAllowed(list, '15550123')).to.equal(false);
    expect(transferTargetAllowed(list, '+16665550000')).to.equal(true);
    expect(transferTargetAllowed(list, 'sip:desk@pbx.example.com')).to.equal(true);
    expect(transferTargetAllowed(list, 'sip:desk@pbx.example.com.evil.net')).to.equal(false);
    expect(transferTargetAllowed(list, 'sips:desk@pbx.example.com')).to.equal(false);
    expect(transferTargetAllowed([], '+15550123')).to.equal(false);
    expect(transferTargetAllowed(undefined, '+15550123')).to.equal(false);
  });
});
