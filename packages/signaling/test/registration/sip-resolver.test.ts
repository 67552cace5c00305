import { expect } from 'chai';
import { parseSipTarget, SipResolver } from '../../src/registration/sip-resolver.ts';

describe('SipResolver (RFC 3263, literals and localhost only)', () => {
  it('reads sip:, sips: and bare registrars with and without a port', () => {
    expect(parseSipTarget('sip:192.0.2.1:5080')).to.deep.equal({ host: '192.0.2.1', port: 5080, secure: false });
    expect(parseSipTarget('sips:[2001:db8::1]')).to.deep.equal({ host: '2001:db8::1', secure: true });
    expect(parseSipTarget('sip.example.com')).to.deep.equal({ host: 'sip.example.com', secure: false });
    expect(parseSipTarget('sip:host:99999')).to.equal(undefined);
    expect(parseSipTarget('sip:user@host')).to.equal(undefined);
  });

  it('uses an IP literal as is, on the default port of the transport', async () => {
    const resolver = new SipResolver();
    expect(await resolver.resolve({ host: '127.0.0.1', secure: false }, 'udp')).to.deep.equal({
      address: '127.0.0.1',
      port: 5060,
      transport: 'udp',
    });
    expect(await resolver.resolve({ host: '::1', port: 5070, secure: true }, 'tls')).to.deep.equal({
      address: '::1',
      port: 5070,
      transport: 'tls',
    });
    expect(await resolver.resolve({ host: '127.0.0.1', secure: true }, 'tls')).to.deep.include({ port: 5061 });
  });

  it('resolves localhost (no SRV) to the loopback on the default port, and caches it', async () => {
    const resolver = new SipResolver();
    const first = await resolver.resolve({ host: 'localhost', secure: false }, 'tcp');
    expect(first.address).to.be.oneOf(['127.0.0.1', '::1']);
    expect(first).to.deep.include({ port: 5060, transport: 'tcp' });
    expect(await resolver.resolve({ host: 'localhost', port: 5090, secure: false }, 'udp')).to.deep.include({
      address: first.address,
      port: 5090,
    });
  });
});
