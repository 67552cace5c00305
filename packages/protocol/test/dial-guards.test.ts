import { expect } from 'chai';
import { checkDialGuards, TrunkConfigSchema, type TrunkConfig } from '../src/index.ts';

function trunk(outbound: Record<string, unknown> | undefined, over: Record<string, unknown> = {}): TrunkConfig {
  return TrunkConfigSchema.parse({
    version: 1,
    name: 'carrier',
    enabled: true,
    sources: ['127.0.0.1'],
    numberFrom: 'ruri',
    numberFormat: 'e164',
    countryCode: '1',
    trusted: false,
    rtpLatching: 'learn',
    configVersion: 1,
    updatedAtMs: 0,
    ...(outbound && { outbound: { uri: 'sip:127.0.0.1:5070', callerIds: ['+15550100', '+15550101'], ...outbound } }),
    ...over,
  });
}

function rule(result: ReturnType<typeof checkDialGuards>): string {
  return result.ok ? 'ok' : result.refusal.rule;
}

describe('dial guards (toll fraud and spoofing)', () => {
  it('the default allows the trunk own country and refuses other countries, naming outbound-allow', () => {
    const t = trunk({});
    expect(checkDialGuards(t, 'carrier', { to: '+15550777' })).to.deep.equal({ ok: true, callerId: '+15550100' });
    const refused = checkDialGuards(t, 'carrier', { to: '+442079460000' });
    expect(refused.ok).to.equal(false);
    if (!refused.ok) {
      expect(refused.refusal).to.include({ rule: 'outbound-allow', field: 'to' });
      expect(refused.refusal.message).to.match(
        /^outbound-allow: \+442079460000 is not allowed on trunk carrier \(allowed: \+1\*; --outbound-allow\)/,
      );
    }
  });

  it('premium-rate and high-fraud prefixes need a pattern at least as specific as the prefix', () => {
    expect(rule(checkDialGuards(trunk({}), 'carrier', { to: '+19005550100' }))).to.equal('premium-rate');
    expect(rule(checkDialGuards(trunk({}), 'carrier', { to: '+18765550100' }))).to.equal('premium-rate');
    expect(rule(checkDialGuards(trunk({ allow: ['+1*'] }), 'carrier', { to: '+19005550100' }))).to.equal(
      'premium-rate',
    );
    expect(rule(checkDialGuards(trunk({ allow: ['+1900*'] }), 'carrier', { to: '+19005550100' }))).to.equal('ok');
    expect(rule(checkDialGuards(trunk({ allow: ['+19005550100'] }), 'carrier', { to: '+19005550100' }))).to.equal('ok');
    const uk = trunk({ allow: ['+44*'] });
    expect(rule(checkDialGuards(uk, 'carrier', { to: '+449098790000' }))).to.equal('premium-rate');
    expect(rule(checkDialGuards(uk, 'carrier', { to: '+442079460000' }))).to.equal('ok');
  });

  it('explicit allow patterns replace the default: prefixes and exact numbers', () => {
    const t = trunk({ allow: ['+1555*', '+442079460000'] });
    expect(rule(checkDialGuards(t, 'carrier', { to: '+15550777' }))).to.equal('ok');
    expect(rule(checkDialGuards(t, 'carrier', { to: '+12125550100' }))).to.equal('outbound-allow');
    expect(rule(checkDialGuards(t, 'carrier', { to: '+442079460000' }))).to.equal('ok');
    expect(rule(checkDialGuards(t, 'carrier', { to: '+442079460001' }))).to.equal('outbound-allow');
  });

  it('a trunk with neither allow patterns nor a country code dials nothing', () => {
    const t = trunk({}, { countryCode: undefined });
    const refused = checkDialGuards(t, 'carrier', { to: '+15550777' });
    expect(rule(refused)).to.equal('outbound-allow');
    if (!refused.ok) expect(refused.refusal.message).to.include('neither --outbound-allow nor --country-code');
  });

  it('the caller id must be one configured on the trunk', () => {
    const t = trunk({});
    expect(checkDialGuards(t, 'carrier', { to: '+15550777', from: '+15550101' })).to.deep.equal({
      ok: true,
      callerId: '+15550101',
    });
    const spoofed = checkDialGuards(t, 'carrier', { to: '+15550777', from: '+12025550100' });
    expect(rule(spoofed)).to.equal('caller-id');
    if (!spoofed.ok) expect(spoofed.refusal).to.include({ field: 'from' });
    expect(rule(checkDialGuards(trunk({ callerIds: undefined }), 'carrier', { to: '+15550777' }))).to.equal(
      'caller-id',
    );
  });

  it('an unknown, disabled or inbound-only trunk is refused naming the trunk rule', () => {
    expect(rule(checkDialGuards(undefined, 'nope', { to: '+15550777' }))).to.equal('trunk');
    expect(rule(checkDialGuards(trunk({}, { enabled: false }), 'carrier', { to: '+15550777' }))).to.equal(
      'trunk-disabled',
    );
    expect(rule(checkDialGuards(trunk(undefined), 'carrier', { to: '+15550777' }))).to.equal('outbound');
  });
});
