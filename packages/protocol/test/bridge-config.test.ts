import { expect } from 'chai';
import { cidrContains, loadBridgeConfig, normalizeNumber, parseCidr, type Cidr } from '../src/index.ts';

describe('bridge config', () => {
  it('applies the defaults from an empty environment', () => {
    const c = loadBridgeConfig({});
    expect(c.SIP_PORT).to.equal(5060);
    expect(c.REDIS_URL).to.equal('redis://127.0.0.1:6379');
    expect(c.SIP_BIND_ADDRESS).to.equal('127.0.0.1');
  });

  it('names the variable of a bad value', () => {
    expect(() => loadBridgeConfig({ SIP_PORT: 'abc' })).to.throw(/^SIP_PORT \(got "abc"\)/);
    expect(() => loadBridgeConfig({ RTP_PORT_MIN: '30000', RTP_PORT_MAX: '20000' })).to.throw(/^RTP_PORT_MAX/);
    expect(() => loadBridgeConfig({ SIP_ALLOWED_CIDRS: '10.0.0.0/33' })).to.throw(/^SIP_ALLOWED_CIDRS/);
    expect(() => loadBridgeConfig({ LOG_LEVEL: 'loud' })).to.throw(/^LOG_LEVEL/);
  });

  it('refuses a wildcard bind without an advertised address, naming the missing variable', () => {
    expect(() => loadBridgeConfig({ SIP_BIND_ADDRESS: '0.0.0.0' })).to.throw(/^SIP_ADVERTISED_ADDRESS/);
    expect(() => loadBridgeConfig({ RTP_BIND_ADDRESS: '::' })).to.throw(/^RTP_ADVERTISED_ADDRESS/);
    expect(() => loadBridgeConfig({ SIP_BIND_ADDRESS: '0.0.0.0', SIP_ADVERTISED_ADDRESS: '0.0.0.0' })).to.throw(/^SIP_ADVERTISED_ADDRESS/);
    const ok = loadBridgeConfig({ SIP_BIND_ADDRESS: '0.0.0.0', SIP_ADVERTISED_ADDRESS: '192.0.2.10' });
    expect(ok.SIP_ADVERTISED_ADDRESS).to.equal('192.0.2.10');
  });

  it('matches addresses against CIDRs, IPv4, IPv6 and IPv4-mapped', () => {
    const cidrs = ['127.0.0.0/8', '192.168.0.0/16', 'fc00::/7', '::1/128'].map((c) => parseCidr(c) as Cidr);
    expect(cidrContains(cidrs, '127.0.0.5')).to.equal(true);
    expect(cidrContains(cidrs, '192.168.200.1')).to.equal(true);
    expect(cidrContains(cidrs, '192.169.0.1')).to.equal(false);
    expect(cidrContains(cidrs, '::ffff:127.0.0.1')).to.equal(true);
    expect(cidrContains(cidrs, 'fd12::1')).to.equal(true);
    expect(cidrContains(cidrs, '2001:db8::1')).to.equal(false);
    expect(cidrContains(cidrs, '::1')).to.equal(true);
    expect(cidrContains(cidrs, '8.8.8.8')).to.equal(false);
  });
});

describe('normalizeNumber', () => {
  it('normalises the forms trunks send to E.164', () => {
    expect(normalizeNumber('+15550100')).to.equal('+15550100');
    expect(normalizeNumber('15550100')).to.equal('+15550100');
    expect(normalizeNumber('tel:+1-555-0100')).to.equal('+15550100');
    expect(normalizeNumber('+1 (555) 0100;npdi')).to.equal('+15550100');
    expect(normalizeNumber('%2B15550100')).to.equal('+15550100');
    expect(normalizeNumber('0015550100')).to.equal('+15550100');
  });

  it('returns undefined for what is not a number', () => {
    expect(normalizeNumber('alice')).to.equal(undefined);
    expect(normalizeNumber('')).to.equal(undefined);
    expect(normalizeNumber('+0123456')).to.equal(undefined);
    expect(normalizeNumber('123')).to.equal(undefined);
  });
});
