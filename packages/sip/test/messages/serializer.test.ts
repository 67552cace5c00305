import { expect } from 'chai';
import { parseMessage, serializeMessage, SipHeaders } from '../../src/messages/index.ts';
import type { SipRequest } from '../../src/messages/index.ts';
import { RFC4475_EXPECTATIONS } from './rfc4475-expectations.ts';
import { itWithTorture, readTorture } from './torture-fixtures.ts';

describe('serializeMessage', () => {
  it('writes the start line, headers in order, Content-Length from the body and CRLF line ends', () => {
    const request: SipRequest = {
      type: 'request',
      method: 'BYE',
      uri: 'sip:alice@192.0.2.10:5060',
      headers: new SipHeaders([
        ['v', 'SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKx'],
        ['From', '<sip:bob@example.net>;tag=b'],
        ['To', '<sip:alice@example.com>;tag=a'],
        ['Call-ID', 'c1'],
        ['CSeq', '2 BYE'],
      ]),
      body: Buffer.alloc(0),
    };
    expect(serializeMessage(request).toString()).to.equal(
      [
        'BYE sip:alice@192.0.2.10:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKx',
        'From: <sip:bob@example.net>;tag=b',
        'To: <sip:alice@example.com>;tag=a',
        'Call-ID: c1',
        'CSeq: 2 BYE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  });

  it('replaces a stale Content-Length in place, once', () => {
    const body = Buffer.from('hello');
    const text = serializeMessage({
      type: 'response',
      status: 200,
      reason: 'OK',
      headers: new SipHeaders([
        ['l', '999'],
        ['X-A', '1'],
        ['Content-Length', '3'],
      ]),
      body,
    }).toString();
    expect(text).to.equal('SIP/2.0 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello');
  });

  it('cannot be made to inject a header line through a value', () => {
    const text = serializeMessage({
      type: 'response',
      status: 486,
      reason: 'Busy\r\nX-Evil: 1',
      headers: new SipHeaders([['Subject', 'a\r\nX-Injected: yes']]),
      body: Buffer.alloc(0),
    }).toString();
    expect(text).to.not.match(/^X-(Evil|Injected)/m);
    expect(text.split('\r\n')).to.have.length(5);
  });

  it('keeps a binary body byte for byte', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a]);
    const out = serializeMessage({ type: 'response', status: 200, reason: 'OK', headers: new SipHeaders(), body });
    expect(out.subarray(out.length - body.length).equals(body)).to.equal(true);
  });

  itWithTorture('round-trips every RFC 4475 message that parses: parse(serialize(m)) equals m', (dir) => {
    for (const entry of RFC4475_EXPECTATIONS.filter((e) => e.parser.ok)) {
      const first = parseMessage(readTorture(dir, entry.file));
      if (!first.ok) return expect.fail(entry.file);
      const second = parseMessage(serializeMessage(first.message));
      if (!second.ok) return expect.fail(`${entry.file}: ${second.reason}`);
      const strip = (entries: [string, string][]) => entries.filter(([name]) => name !== 'Content-Length');
      expect(strip([...second.message.headers.entries()]), entry.file).to.deep.equal(
        strip([...first.message.headers.entries()]),
      );
      expect(second.message.body.equals(first.message.body), entry.file).to.equal(true);
      if (first.message.type === 'request' && second.message.type === 'request') {
        expect(second.message.uri).to.equal(first.message.uri);
        expect(second.message.method).to.equal(first.message.method);
      }
    }
  });
});
