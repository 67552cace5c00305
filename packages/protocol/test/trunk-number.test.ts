import { expect } from 'chai';
import { normalizeTrunkNumber } from '../src/index.ts';

describe('normalizeTrunkNumber', () => {
  const e164 = { numberFormat: 'e164' as const };
  const uk = { numberFormat: 'national' as const, countryCode: '44' };
  const us = { numberFormat: 'national' as const, countryCode: '1' };

  it('e164 trunks: separators, URI parameters, tel: and 00 are handled as for any number', () => {
    expect(normalizeTrunkNumber('+1 (555) 123-0001;npdi;rn=+15550000000', e164)).to.equal('+15551230001');
    expect(normalizeTrunkNumber('tel:+44-20-7946-0000', e164)).to.equal('+442079460000');
    expect(normalizeTrunkNumber('0044 20 7946 0000', e164)).to.equal('+442079460000');
    expect(normalizeTrunkNumber('15551230001', e164)).to.equal('+15551230001');
  });

  it('national trunks: the trunk prefix 0 is dropped and the country code put in front', () => {
    expect(normalizeTrunkNumber('020 7946 0000', uk)).to.equal('+442079460000');
    expect(normalizeTrunkNumber('2079460000;npdi', uk)).to.equal('+442079460000');
    expect(normalizeTrunkNumber('(555) 123-0001', us)).to.equal('+15551230001');
    expect(normalizeTrunkNumber('15551230001', us)).to.equal('+15551230001');
  });

  it('national trunks still accept numbers that are already international', () => {
    expect(normalizeTrunkNumber('+33 1 23 45 67 89', uk)).to.equal('+33123456789');
    expect(normalizeTrunkNumber('0033123456789', uk)).to.equal('+33123456789');
  });

  it('returns undefined for what is not a number', () => {
    expect(normalizeTrunkNumber('alice', uk)).to.equal(undefined);
    expect(normalizeTrunkNumber('', e164)).to.equal(undefined);
    expect(normalizeTrunkNumber('0', uk)).to.equal(undefined);
  });
});
