import { expect } from 'chai';
import { SipHeaders } from '../../src/messages/index.ts';

describe('SipHeaders', () => {
  it('looks names up case-insensitively and maps compact forms to canonical long names', () => {
    const headers = new SipHeaders([
      ['v', 'SIP/2.0/UDP a;branch=z9hG4bK1'],
      ['VIA', 'SIP/2.0/UDP b;branch=z9hG4bK2'],
      ['i', 'abc@host'],
      ['l', '0'],
      ['cseq', '1 INVITE'],
      ['x', '1800;refresher=uac'],
      ['X-Custom', 'kept'],
    ]);
    expect(headers.getAll('Via')).to.have.length(2);
    expect(headers.get('call-id')).to.equal('abc@host');
    expect(headers.get('I')).to.equal('abc@host');
    expect(headers.get('Session-Expires')).to.equal('1800;refresher=uac');
    expect([...headers.entries()].map(([name]) => name)).to.deep.equal([
      'Via',
      'Via',
      'Call-ID',
      'Content-Length',
      'CSeq',
      'Session-Expires',
      'X-Custom',
    ]);
  });

  it('maps every compact form of the brief', () => {
    const expected: Record<string, string> = {
      i: 'Call-ID',
      m: 'Contact',
      e: 'Content-Encoding',
      l: 'Content-Length',
      c: 'Content-Type',
      f: 'From',
      s: 'Subject',
      k: 'Supported',
      t: 'To',
      v: 'Via',
      o: 'Event',
      r: 'Refer-To',
      b: 'Referred-By',
      u: 'Allow-Events',
      x: 'Session-Expires',
      y: 'Identity',
      a: 'Accept-Contact',
      j: 'Reject-Contact',
      d: 'Request-Disposition',
    };
    for (const [compact, long] of Object.entries(expected)) {
      const headers = new SipHeaders([[compact.toUpperCase(), 'value']]);
      expect([...headers.entries()][0]?.[0], compact).to.equal(long);
      expect(headers.has(long), long).to.equal(true);
    }
  });

  it('getAll splits list headers on commas outside quotes and angle brackets', () => {
    const headers = new SipHeaders([
      ['Contact', '"Doe, John" <sip:j@a;x=1,2>;q=0.5, <sip:k@b>'],
      ['Contact', 'sip:l@c'],
      ['Supported', 'timer, 100rel,,'],
      ['Route', '<sip:p1;lr>,<sip:p2;lr>'],
    ]);
    expect(headers.getAll('Contact')).to.deep.equal(['"Doe, John" <sip:j@a;x=1,2>;q=0.5', '<sip:k@b>', 'sip:l@c']);
    expect(headers.getAll('Supported')).to.deep.equal(['timer', '100rel']);
    expect(headers.get('Route')).to.equal('<sip:p1;lr>');
    expect(headers.getLines('Contact')).to.have.length(2);
  });

  it('never splits headers whose grammar is not a list', () => {
    const values: [string, string][] = [
      ['WWW-Authenticate', 'Digest realm="a", nonce="b", algorithm=MD5'],
      ['Authorization', 'Digest username="u", realm="a", response="x"'],
      ['Proxy-Authenticate', 'Digest realm="a", nonce="b"'],
      ['Proxy-Authorization', 'Digest username="u", realm="a"'],
      ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'],
      ['Call-ID', 'a,b'],
      ['CSeq', '1 INVITE'],
      ['From', '"A, B" <sip:a@b>;tag=1'],
      ['To', 'Watson, Thomas <sip:t@b>'],
      ['Content-Type', 'multipart/mixed; boundary="a,b"'],
      ['User-Agent', 'softphone 1.0 (linux, x86)'],
      ['Subject', 'hello, world'],
      ['X-Unknown', 'a, b'],
    ];
    const headers = new SipHeaders(values);
    for (const [name, value] of values) expect(headers.getAll(name), name).to.deep.equal([value]);
  });

  it('set replaces every line in place, append adds at the end, prepend goes above the first Via', () => {
    const headers = new SipHeaders([
      ['Via', 'v1'],
      ['From', 'f'],
      ['Via', 'v2'],
      ['To', 't'],
    ]);
    headers.set('via', ['n1', 'n2']);
    expect([...headers.entries()]).to.deep.equal([
      ['Via', 'n1'],
      ['Via', 'n2'],
      ['From', 'f'],
      ['To', 't'],
    ]);
    headers.prepend('v', 'top');
    headers.append('Max-Forwards', '70');
    headers.prepend('Record-Route', '<sip:p;lr>');
    expect([...headers.entries()].map(([name, value]) => `${name}: ${value}`)).to.deep.equal([
      'Record-Route: <sip:p;lr>',
      'Via: top',
      'Via: n1',
      'Via: n2',
      'From: f',
      'To: t',
      'Max-Forwards: 70',
    ]);
    headers.set('Subject', 'new');
    expect(headers.get('Subject')).to.equal('new');
  });

  it('delete removes every line and reports whether any existed', () => {
    const headers = new SipHeaders([
      ['Via', 'a'],
      ['v', 'b'],
      ['To', 't'],
    ]);
    expect(headers.delete('VIA')).to.equal(true);
    expect(headers.delete('Via')).to.equal(false);
    expect(headers.has('Via')).to.equal(false);
    expect(headers.size).to.equal(1);
  });

  it('clone is independent of the original', () => {
    const headers = new SipHeaders([['To', 't']]);
    const copy = headers.clone();
    copy.set('To', 'changed');
    copy.append('From', 'f');
    expect(headers.get('To')).to.equal('t');
    expect(headers.has('From')).to.equal(false);
  });

  it('returns undefined and [] for a missing header', () => {
    const headers = new SipHeaders();
    expect(headers.get('Via')).to.equal(undefined);
    expect(headers.getAll('Via')).to.deep.equal([]);
  });
});
