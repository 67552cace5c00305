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

  it('has safe SIP limits by default, and refuses a TCP buffer that could not hold one whole message', () => {
    const c = loadBridgeConfig({});
    expect(c).to.include({
      SIP_MAX_MESSAGE_BYTES: 65_535,
      SIP_MAX_HEADERS: 256,
      SIP_MAX_HEADER_LINE_BYTES: 8192,
      SIP_MAX_BODY_BYTES: 65_535,
      SIP_TCP_MAX_CONNECTIONS: 1000,
      SIP_TCP_MAX_BUFFER_BYTES: 131_072,
      SIP_TCP_IDLE_TIMEOUT_MS: 300_000,
      SIP_TCP_MESSAGE_TIMEOUT_MS: 10_000,
      SIP_T1_MS: 500,
    });
    expect(() => loadBridgeConfig({ SIP_MAX_MESSAGE_BYTES: '200000', SIP_TCP_MAX_BUFFER_BYTES: '100000' })).to.throw(
      /^SIP_TCP_MAX_BUFFER_BYTES/,
    );
    expect(() => loadBridgeConfig({ SIP_MAX_HEADERS: '0' })).to.throw(/^SIP_MAX_HEADERS/);
    expect(() => loadBridgeConfig({ SIP_T1_MS: '10' })).to.throw(/^SIP_T1_MS/);
  });

  it('serves HTTP beyond loopback only with a token, and never echoes a token', () => {
    expect(loadBridgeConfig({}).HTTP_BIND_ADDRESS).to.equal('127.0.0.1');
    expect(() => loadBridgeConfig({ HTTP_BIND_ADDRESS: '0.0.0.0' })).to.throw(
      /^ADMIN_TOKEN: is required \(or READ_TOKEN\) when HTTP_BIND_ADDRESS 0\.0\.0\.0 is not loopback/,
    );
    const token = 'a-long-enough-admin-token';
    expect(loadBridgeConfig({ HTTP_BIND_ADDRESS: '0.0.0.0', ADMIN_TOKEN: token }).ADMIN_TOKEN).to.equal(token);
    expect(() => loadBridgeConfig({ ADMIN_TOKEN: 'short-secret' })).to.throw(
      'ADMIN_TOKEN (value not shown): must be at least 16 characters',
    );
    expect(() => loadBridgeConfig({ ADMIN_TOKEN: token, READ_TOKEN: token })).to.throw(
      /^READ_TOKEN \(value not shown\): must differ from ADMIN_TOKEN/,
    );
  });

  it('refuses a wildcard bind without an advertised address, naming the missing variable', () => {
    expect(() => loadBridgeConfig({ SIP_BIND_ADDRESS: '0.0.0.0' })).to.throw(/^SIP_ADVERTISED_ADDRESS/);
    expect(() => loadBridgeConfig({ RTP_BIND_ADDRESS: '::' })).to.throw(/^RTP_ADVERTISED_ADDRESS/);
    expect(() => loadBridgeConfig({ SIP_BIND_ADDRESS: '0.0.0.0', SIP_ADVERTISED_ADDRESS: '0.0.0.0' })).to.throw(
      /^SIP_ADVERTISED_ADDRESS/,
    );
    const ok = loadBridgeConfig({ SIP_BIND_ADDRESS: '0.0.0.0', SIP_ADVERTISED_ADDRESS: '192.0.2.10' });
    expect(ok.SIP_ADVERTISED_ADDRESS).to.equal('192.0.2.10');
  });

  it('listens for TLS only with a certificate and key, and checks clients only with a CA', () => {
    expect(loadBridgeConfig({}).SIP_TLS_PORT).to.equal(5061);
    expect(() => loadBridgeConfig({ SIP_TRANSPORTS: 'udp,tls' })).to.throw(/^SIP_TLS_CERT: is required/);
    expect(() => loadBridgeConfig({ SIP_TRANSPORTS: 'tls', SIP_TLS_CERT: '/c.pem' })).to.throw(
      /^SIP_TLS_KEY: is required/,
    );
    expect(() => loadBridgeConfig({ SIP_TRANSPORTS: 'udp,sctp' })).to.throw(/^SIP_TRANSPORTS/);
    expect(() => loadBridgeConfig({ SIP_TLS_VERIFY_CLIENT: 'true' })).to.throw(/^SIP_TLS_CA/);
    const tls = loadBridgeConfig({
      SIP_TRANSPORTS: 'tls',
      SIP_TLS_CERT: '/c.pem',
      SIP_TLS_KEY: '/k.pem',
      SIP_TLS_PORT: '5062',
    });
    expect(tls).to.deep.include({ SIP_TLS_PORT: 5062, SIP_TLS_CERT: '/c.pem', SIP_TLS_VERIFY_CLIENT: false });
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
