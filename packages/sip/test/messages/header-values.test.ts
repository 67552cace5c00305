import { expect } from 'chai';
import { formatCSeq, formatNameAddr, formatVia, parseCSeq, parseNameAddr, parseVia } from '../../src/messages/index.ts';

describe('parseVia / formatVia', () => {
  it('reads transport, sent-by, branch, received and rport', () => {
    const via = parseVia(
      'SIP/2.0/udp pc33.example.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5062;ttl=16',
    );
    expect(via).to.deep.include({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: 'pc33.example.com',
      port: 5066,
      branch: 'z9hG4bK776asdhds',
      received: '192.0.2.1',
      rport: 5062,
    });
    expect(via?.params.get('ttl')).to.equal('16');
  });

  it('reads a valueless rport as true (RFC 3581) and IPv6 sent-by', () => {
    expect(parseVia('SIP/2.0/TCP [2001:db8::1]:5060;rport;branch=z9hG4bKa')).to.deep.include({
      host: '[2001:db8::1]',
      port: 5060,
      rport: true,
    });
  });

  it('tolerates LWS around "/", ":", ";" and "="', () => {
    expect(parseVia('SIP / 2.0 / UDP  host.example.com : 5060 ; branch = z9hG4bK1')).to.deep.include({
      transport: 'UDP',
      host: 'host.example.com',
      port: 5060,
      branch: 'z9hG4bK1',
    });
  });

  for (const bad of [
    '',
    'SIP/2.0/UDP',
    'SIP/2.0 host',
    'SIP/2.0/UDP host;;',
    'SIP/2.0/UDP host;branch=',
    'SIP/2.0/UDP host:99999',
    'SIP/2.0/UDP host;received=not-an-ip',
    'SIP/2.0/UDP host;rport=x',
    'SIP/2.0/UDP host garbage',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => expect(parseVia(bad)).to.equal(undefined));
  }

  it('formats a Via built from scratch and round-trips a parsed one edited through params', () => {
    expect(
      formatVia({
        transport: 'UDP',
        host: '203.0.113.5',
        port: 5060,
        branch: 'z9hG4bKabc',
        rport: true,
        params: new Map(),
      }),
    ).to.equal('SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKabc;rport');
    const via = parseVia('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport');
    if (via === undefined) return expect.fail('parse');
    via.params.set('received', '198.51.100.7');
    via.params.set('rport', '40000');
    expect(formatVia(via)).to.equal('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=40000;received=198.51.100.7');
  });
});

describe('parseNameAddr / formatNameAddr', () => {
  it('reads a quoted display name with escapes, the URI and the tag', () => {
    const value = parseNameAddr('"quoted \\"name\\"" <sip:alice@example.com;transport=tcp>;tag=x1;foo');
    expect(value).to.deep.equal({
      displayName: 'quoted "name"',
      uri: 'sip:alice@example.com;transport=tcp',
      params: new Map<string, string | null>([
        ['tag', 'x1'],
        ['foo', null],
      ]),
      tag: 'x1',
    });
  });

  it('treats parameters after a bare URI as header parameters (RFC 3261 §20.10)', () => {
    expect(parseNameAddr('sip:a@b;tag=x')).to.deep.equal({ uri: 'sip:a@b', params: new Map([['tag', 'x']]), tag: 'x' });
    expect(parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam')?.params.has('unknownparam')).to.equal(true);
  });

  it('reads token display names, with or without LWS before "<"', () => {
    expect(parseNameAddr('Alice Smith <sip:alice@example.com>')?.displayName).to.equal('Alice Smith');
    expect(parseNameAddr('caller<sip:caller@example.com>;tag=323')?.displayName).to.equal('caller');
    expect(parseNameAddr('<sip:anon@anonymous.invalid>')).to.not.have.property('displayName');
  });

  it('accepts tel and other absolute URIs in < >', () => {
    expect(parseNameAddr('<tel:+1-201-555-0123>')?.uri).to.equal('tel:+1-201-555-0123');
    expect(parseNameAddr('<http://www.example.com>;tag=3')?.tag).to.equal('3');
    expect(parseNameAddr('<urn:service:sos>')?.uri).to.equal('urn:service:sos');
  });

  it('keeps quoted parameter values with their quotes', () => {
    const value = parseNameAddr(
      '<sip:a@b>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";expires=3600',
    );
    expect(value?.params.get('+sip.instance')).to.equal('"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"');
  });

  for (const bad of [
    '"Mr. J. User <sip:j.user@example.com>', // quotbal
    '"Watson, Thomas" < sip:t.watson@example.org >', // badaspec
    'Bell, Alexander <sip:a.g.bell@example.com>;tag=43', // baddn
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E', // regbadct
    '"Joe" <sip:joe@example.org>;;;;', // badinv01
    '<sip:a@b',
    '',
    'not a uri',
    '<sip:a@b>;tag',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => expect(parseNameAddr(bad)).to.equal(undefined));
  }

  it('formats with the display name quoted and a tag added when params lack one', () => {
    const value = parseNameAddr('Bob <sip:bob@example.net>');
    if (value === undefined) return expect.fail('parse');
    value.tag = 'abc';
    expect(formatNameAddr(value)).to.equal('"Bob" <sip:bob@example.net>;tag=abc');
    expect(formatNameAddr({ displayName: 'a "b" \\c', uri: 'sip:x@y', params: new Map() })).to.equal(
      '"a \\"b\\" \\\\c" <sip:x@y>',
    );
    const reparsed = parseNameAddr(formatNameAddr({ displayName: 'a "b" \\c', uri: 'sip:x@y', params: new Map() }));
    expect(reparsed?.displayName).to.equal('a "b" \\c');
  });
});

describe('parseCSeq', () => {
  it('reads number and method, with LWS between them', () => {
    expect(parseCSeq('4711 INVITE')).to.deep.equal({ seq: 4711, method: 'INVITE' });
    expect(parseCSeq('0009   INVITE')).to.deep.equal({ seq: 9, method: 'INVITE' });
    expect(formatCSeq({ seq: 2, method: 'BYE' })).to.equal('2 BYE');
  });

  it('accepts 2^31-1 and rejects larger numbers and garbage', () => {
    expect(parseCSeq('2147483647 BYE')?.seq).to.equal(2147483647);
    for (const bad of [
      '2147483648 BYE',
      '36893488147419103232 REGISTER',
      'INVITE',
      '1',
      '-1 INVITE',
      '1 INV ITE',
      '',
    ]) {
      expect(parseCSeq(bad), bad).to.equal(undefined);
    }
  });
});
