import { expect } from 'chai';
import { formatUri, isAbsoluteUri, parseUri } from '../../src/messages/index.ts';

describe('parseUri / formatUri', () => {
  it('splits a SIP URI into user, password, host, port, parameters and headers', () => {
    const uri = parseUri(
      'sip:alice:secret@atlanta.example.com:5061;transport=TCP;lr?subject=project%20x&priority=urgent',
    );
    expect(uri).to.deep.equal({
      scheme: 'sip',
      user: 'alice',
      userRaw: 'alice',
      password: 'secret',
      host: 'atlanta.example.com',
      port: 5061,
      params: new Map<string, string | null>([
        ['transport', 'TCP'],
        ['lr', null],
      ]),
      headers: new Map([
        ['subject', 'project x'],
        ['priority', 'urgent'],
      ]),
    });
  });

  it('unescapes the user part and keeps the raw form for formatting', () => {
    const uri = parseUri('sips:%61lice%20smith@example.com');
    expect(uri).to.include({ scheme: 'sips', user: 'alice smith', userRaw: '%61lice%20smith' });
    if (uri === undefined) return;
    expect(formatUri(uri)).to.equal('sips:%61lice%20smith@example.com');
    uri.user = 'bob smith';
    expect(formatUri(uri)).to.equal('sips:bob%20smith@example.com');
  });

  it('reads telephone-subscriber users, IPv6 and IPv4 hosts, and upper-case schemes', () => {
    expect(parseUri('sip:+15551234567;npdi@gw.example.net;user=phone')).to.include({
      user: '+15551234567;npdi',
      host: 'gw.example.net',
    });
    expect(parseUri('SIP:bob@[2001:db8::10]:5070')).to.include({ scheme: 'sip', host: '[2001:db8::10]', port: 5070 });
    expect(parseUri('sip:192.0.2.4')).to.include({ host: '192.0.2.4' });
    expect(parseUri('sip:192.0.2.4')).to.not.have.property('user');
  });

  it('reads tel URIs and keeps other schemes opaque', () => {
    const tel = parseUri('tel:+1-201-555-0123;phone-context=example.com');
    expect(tel).to.include({ scheme: 'tel', host: '+1-201-555-0123' });
    expect(tel?.params.get('phone-context')).to.equal('example.com');
    expect(tel && formatUri(tel)).to.equal('tel:+1-201-555-0123;phone-context=example.com');
    const other = parseUri('soap.beep://192.0.2.103:3002');
    expect(other).to.include({ scheme: 'soap.beep', opaque: '//192.0.2.103:3002' });
    expect(other && formatUri(other)).to.equal('soap.beep://192.0.2.103:3002');
  });

  for (const bad of [
    '',
    'sip:',
    'sip:@host',
    'sip:user@',
    'sip:user@host:port',
    'sip:user@host:70000',
    'sip:a b@host',
    'sip:user@[::1',
    'sip:%zz@host',
    'sip:user@host;=x',
    'sip:user@host?noequals',
    '<sip:user@example.com>',
    'sip:user@example.com; lr',
    '1sip:x',
    'tel:xyz',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => expect(parseUri(bad)).to.equal(undefined));
  }

  it('formats parsed URIs back to equivalent text', () => {
    for (const text of [
      'sip:alice@atlanta.example.com',
      'sip:alice:pw@[2001:db8::1]:5060;transport=tcp;lr',
      'sips:+15551234567@gw.example.net;user=phone?Route=%3Csip:p.example.com%3E',
    ]) {
      const uri = parseUri(text);
      expect(uri && formatUri(uri)).to.equal(text);
    }
  });

  it('checks generic absolute URIs', () => {
    expect(isAbsoluteUri('nobodyKnowsThisScheme:totallyopaquecontent')).to.equal(true);
    expect(isAbsoluteUri('isbn:2983792873')).to.equal(true);
    expect(isAbsoluteUri('<sip:a@b>')).to.equal(false);
    expect(isAbsoluteUri('x:has space')).to.equal(false);
  });
});
