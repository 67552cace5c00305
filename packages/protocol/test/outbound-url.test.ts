import { expect } from 'chai';
import {
  checkOutboundUrl,
  loadBridgeConfig,
  parseCidrList,
  refusedAddressReason,
  VoicebridgeError,
} from '../src/index.ts';
import type { OutboundUrlKind, OutboundUrlRules } from '../src/index.ts';

const strict: OutboundUrlRules = { insecure: false, denyCidrs: [] };

function refusal(url: string, rules: OutboundUrlRules = strict, kind: OutboundUrlKind = 'http'): string | undefined {
  const checked = checkOutboundUrl(url, kind, rules);
  return 'refused' in checked ? checked.refused : undefined;
}

describe('outbound URL policy (static check)', () => {
  it('allows https anywhere public, and plain http only to loopback', () => {
    expect(refusal('https://api.openai.com/v1')).to.equal(undefined);
    expect(refusal('https://203.0.113.7:8443/hook?token=x')).to.equal(undefined);
    for (const url of [
      'http://localhost:11434/v1',
      'http://127.0.0.1:8080/',
      'http://[::1]/x',
      'http://llm.localhost/',
    ])
      expect(refusal(url), url).to.equal(undefined);
    expect(refusal('http://api.example.com/v1')).to.match(/must be https:\/\/ \(http:\/\/ only to localhost/);
    expect(refusal('http://10.0.0.5/v1')).to.match(/must be https:\/\//);
  });

  it('allows plain http to other hosts when the number is marked insecure', () => {
    expect(refusal('http://ollama:11434/v1', { insecure: true, denyCidrs: [] })).to.equal(undefined);
    const checked = checkOutboundUrl('http://localhost:1/', 'http', strict);
    expect('refused' in checked ? undefined : checked.loopbackOnly).to.equal(true);
    const open = checkOutboundUrl('http://ollama:1/', 'http', { insecure: true, denyCidrs: [] });
    expect('refused' in open ? undefined : open.loopbackOnly).to.equal(false);
  });

  it('refuses other schemes and credentials', () => {
    expect(refusal('ftp://example.com/')).to.match(/must be https:\/\//);
    expect(refusal('file:///etc/passwd')).to.match(/must be https:\/\//);
    expect(refusal('https://user:pw@example.com/')).to.equal('must not carry credentials');
    expect(refusal('not a url')).to.equal('is not a URL');
  });

  it('takes wss (and ws to loopback) for sockets, not https', () => {
    expect(refusal('wss://bot.example.com/stream', strict, 'websocket')).to.equal(undefined);
    expect(refusal('ws://127.0.0.1:9000/', strict, 'websocket')).to.equal(undefined);
    expect(refusal('ws://bot.example.com/', strict, 'websocket')).to.match(/must be wss:\/\/ \(ws:\/\/ only/);
    expect(refusal('https://bot.example.com/', strict, 'websocket')).to.match(/must be wss:\/\//);
  });

  it('refuses the cloud metadata address in every spelling, even over https or insecure', () => {
    const insecure = { insecure: true, denyCidrs: [] };
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'https://169.254.169.254/',
      'http://2852039166/',
      'http://0xA9FEA9FE/',
      'http://0251.0376.0251.0376/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
    ])
      expect(refusal(url, insecure), url).to.match(/cloud metadata address/);
    for (const url of ['http://metadata.google.internal/', 'https://METADATA.google.internal./', 'http://metadata/'])
      expect(refusal(url, insecure), url).to.match(/cloud metadata name/);
  });

  it('refuses link-local, unspecified and multicast addresses and OUTBOUND_DENY_CIDRS', () => {
    const insecure = { insecure: true, denyCidrs: parseCidrList('10.0.0.0/8,fd12::/16') };
    expect(refusal('http://169.254.1.1/', insecure)).to.equal('169.254.1.1 is a link-local address');
    expect(refusal('http://[fe80::1]/', insecure)).to.equal('fe80::1 is a link-local address');
    expect(refusal('http://0.0.0.0:8080/', insecure)).to.match(/not a unicast address/);
    expect(refusal('http://[::]/', insecure)).to.match(/not a unicast address/);
    expect(refusal('http://224.0.0.1/', insecure)).to.match(/not a unicast address/);
    expect(refusal('http://10.1.2.3/', insecure)).to.equal('10.1.2.3 is in OUTBOUND_DENY_CIDRS');
    expect(refusal('https://[fd12::1]/', insecure)).to.equal('fd12::1 is in OUTBOUND_DENY_CIDRS');
    expect(refusal('http://[::ffff:10.9.9.9]/', insecure)).to.match(
      /10\.9\.9\.9 is in OUTBOUND_DENY_CIDRS, written as/,
    );
    expect(refusal('http://192.168.1.10/', insecure)).to.equal(undefined);
  });

  it('never quotes the path or query of a refused URL (they may carry a token)', () => {
    const reason = refusal('http://169.254.169.254/hook?token=s3cr3t');
    expect(reason).to.not.include('s3cr3t');
    expect(refusal('http://example.com/hook?token=s3cr3t')).to.not.include('s3cr3t');
  });

  it('judges resolved addresses the same way', () => {
    expect(refusedAddressReason('169.254.169.254', [])).to.match(/metadata/);
    expect(refusedAddressReason('::ffff:169.254.169.254', [])).to.match(/metadata/);
    expect(refusedAddressReason('93.184.216.34', [])).to.equal(undefined);
    expect(refusedAddressReason('127.0.0.1', parseCidrList('127.0.0.0/8'))).to.match(/OUTBOUND_DENY_CIDRS/);
  });

  it('OUTBOUND_DENY_CIDRS is read with the bridge config: none by default, a bad CIDR exits naming it', () => {
    expect(loadBridgeConfig({}).OUTBOUND_DENY_CIDRS).to.equal('none');
    expect(loadBridgeConfig({ OUTBOUND_DENY_CIDRS: '10.0.0.0/8' }).OUTBOUND_DENY_CIDRS).to.equal('10.0.0.0/8');
    expect(() => loadBridgeConfig({ OUTBOUND_DENY_CIDRS: '10.0.0.0/33' }))
      .to.throw(VoicebridgeError)
      .with.property('message')
      .that.matches(/^OUTBOUND_DENY_CIDRS/);
  });
});
