import { expect } from 'chai';
import { parseMessage, parseNameAddr, parseUri, parseVia } from '../../src/messages/index.ts';
import type { ParseOutcome, SipMessage, SipRequest, SipResponse } from '../../src/messages/index.ts';
import { inviteWith, typicalInvite, wire } from './sip-builders.ts';
import { describeWithTorture, readTorture } from './torture-fixtures.ts';

function parsed(outcome: ParseOutcome): SipMessage {
  if (!outcome.ok) return expect.fail(`expected a message, got ${outcome.status} ${outcome.reason}`);
  return outcome.message;
}

function request(outcome: ParseOutcome): SipRequest {
  const message = parsed(outcome);
  if (message.type !== 'request') return expect.fail('expected a request');
  return message;
}

function response(outcome: ParseOutcome): SipResponse {
  const message = parsed(outcome);
  if (message.type !== 'response') return expect.fail('expected a response');
  return message;
}

function failure(outcome: ParseOutcome): { status: number; reason: string; request?: SipRequest } {
  if (outcome.ok) return expect.fail(`expected a failure, got a ${outcome.message.type}`);
  return outcome;
}

describe('parseMessage', () => {
  describeWithTorture('reads what RFC 4475 valid messages mean', (dir) => {
    it('wsinv: folded lines, LWS around separators and compact forms yield the intended values', () => {
      const { headers } = request(parseMessage(readTorture(dir, 'wsinv.sip')));
      const vias = headers.getAll('Via').map((value) => parseVia(value));
      expect(vias.map((via) => via?.host)).to.deep.equal(['192.0.2.2', 'spindle.example.com', '192.168.255.111']);
      expect(vias.map((via) => via?.branch)).to.deep.equal(['390skdjuw', 'z9hG4bK9ikj8', 'z9hG4bK30239']);
      expect(vias.map((via) => via?.transport)).to.deep.equal(['UDP', 'TCP', 'UDP']);
      const from = parseNameAddr(headers.get('From') ?? '');
      expect(from?.displayName).to.equal('J Rosenberg \\"');
      expect(from?.tag).to.equal('98asjd8');
      expect(parseNameAddr(headers.get('To') ?? '')?.tag).to.equal('1918181833n');
      expect(headers.get('CSeq')).to.equal('0009 INVITE');
      expect(headers.get('Max-Forwards')).to.equal('0068');
      expect(headers.get('Subject')).to.equal('');
      expect(headers.get('NewFangledHeader')).to.equal('newfangled value continued newfangled value');
      expect(headers.get('UnknownHeaderWithUnusualValue')).to.equal(';;,,;;,;');
      const contact = parseNameAddr(headers.get('Contact') ?? '');
      expect(contact?.displayName).to.equal('Quoted string ""');
      expect([...(contact?.params ?? [])]).to.deep.equal([
        ['newparam', 'newvalue'],
        ['secondparam', null],
        ['q', '0.33'],
      ]);
    });

    it('intmeth: an exotic method, URI and Call-ID, control characters in a quoted display name', () => {
      const message = request(parseMessage(readTorture(dir, 'intmeth.sip')));
      expect(message.method).to.equal("!interesting-Method0123456789_*+`.%indeed'~");
      const uri = parseUri(message.uri);
      expect(uri?.user).to.equal("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
      expect(uri?.password).to.equal("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
      expect(uri?.host).to.equal('example.com');
      expect(parseNameAddr(message.headers.get('To') ?? '')?.displayName).to.equal('BEL:\x07 NUL:\x00 DEL:\x7f');
      expect(message.headers.get('Call-ID')).to.equal('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
      expect(message.headers.get("extensionHeader-!.%*+_`'~")).to.equal('\ufeff大停電');
    });

    it('esc01 / escnull / semiuri: URI user parts are unescaped, NULs included', () => {
      const esc01 = request(parseMessage(readTorture(dir, 'esc01.sip')));
      expect(parseUri(esc01.uri)?.user).to.equal('sips:user@example.com');
      const contact = parseUri(parseNameAddr(esc01.headers.get('Contact') ?? '')?.uri ?? '');
      expect(contact?.user).to.equal('caller');
      expect([...(contact?.params ?? [])]).to.deep.equal([
        ['lr', null],
        ['name', 'value%41'],
      ]);
      const escnull = request(parseMessage(readTorture(dir, 'escnull.sip')));
      expect(parseUri(parseNameAddr(escnull.headers.get('To') ?? '')?.uri ?? '')?.user).to.equal('null-\0-null');
      expect(escnull.headers.getAll('Contact')).to.have.length(2);
      const semiuri = request(parseMessage(readTorture(dir, 'semiuri.sip')));
      expect(parseUri(semiuri.uri)?.user).to.equal('user;par=u@example.net');
      expect(semiuri.headers.getAll('Accept')).to.have.length(6);
    });

    it('longreq: all 34 Via values in any spelling of the name, in order', () => {
      const { headers } = request(parseMessage(readTorture(dir, 'longreq.sip')));
      const hosts = headers.getAll('Via').map((value) => parseVia(value)?.host);
      expect(hosts).to.have.length(34);
      expect(hosts[0]).to.equal('sip33.example.com');
      expect(hosts[33]).to.equal('host.example.com');
    });

    it('mpart01: a binary body with NULs is framed by Content-Length, byte for byte', () => {
      const bytes = readTorture(dir, 'mpart01.sip');
      const message = request(parseMessage(bytes));
      expect(message.body.equals(bytes.subarray(bytes.length - 553))).to.equal(true);
      expect(message.body.includes(0)).to.equal(true);
    });

    it('unreason / noreason: UTF-8 and empty reason phrases', () => {
      const unreason = response(parseMessage(readTorture(dir, 'unreason.sip')));
      expect(unreason.status).to.equal(200);
      expect(unreason.reason).to.match(/^= 2\*\*3 \* 5\*\*2 но сто девяносто девять/);
      const noreason = response(parseMessage(readTorture(dir, 'noreason.sip')));
      expect(noreason.status).to.equal(100);
      expect(noreason.reason).to.equal('');
    });
  });

  describe('framing and Content-Length (RFC 3261 §18.3, §20.14)', () => {
    it('takes the whole rest of a datagram as the body when Content-Length is absent', () => {
      const message = request(parseMessage(inviteWith({}, 'v=0\r\n')));
      expect(message.body.toString()).to.equal('v=0\r\n');
    });

    it('truncates a datagram body longer than Content-Length and reports the consumed bytes', () => {
      const data = inviteWith({ 'Content-Length': '3' }, 'abcdef');
      const outcome = parseMessage(data);
      expect(request(outcome).body.toString()).to.equal('abc');
      expect(outcome.ok && outcome.bytes).to.equal(data.length - 3);
    });

    it('answers 400 when the datagram is shorter than Content-Length', () => {
      const result = failure(parseMessage(inviteWith({ 'Content-Length': '10' }, 'abc')));
      expect(result.status).to.equal(400);
      expect(result.request?.method).to.equal('INVITE');
    });

    for (const value of ['-1', 'abc', '1 2', '99999999999999999999', '']) {
      it(`answers 400 to Content-Length "${value}"`, () => {
        const result = failure(parseMessage(inviteWith({ 'Content-Length': value })));
        expect(result.status).to.equal(400);
        expect(result.request).to.not.equal(undefined);
      });
    }

    it('accepts repeated identical Content-Length lines, refuses conflicting ones', () => {
      expect(
        parseMessage(wire('OPTIONS sip:a@b SIP/2.0', [...optionsHeaders(), 'l: 0', 'Content-Length: 00'])).ok,
      ).to.equal(true);
      expect(
        failure(parseMessage(wire('OPTIONS sip:a@b SIP/2.0', [...optionsHeaders(), 'l: 0', 'l: 1'], 'x'))).status,
      ).to.equal(400);
    });

    it('skips CRLFs before the start line and counts them in bytes (RFC 3261 §7.5)', () => {
      const data = Buffer.concat([Buffer.from('\r\n\r\n'), inviteWith({ 'Content-Length': '0' })]);
      const outcome = parseMessage(data);
      expect(request(outcome).method).to.equal('INVITE');
      expect(outcome.ok && outcome.bytes).to.equal(data.length);
    });

    it('tolerates bare LF line ends', () => {
      const body = 'v=0\no=- 1 1 IN IP4 192.0.2.1\n';
      const text = `OPTIONS sip:a@b SIP/2.0\n${optionsHeaders().join('\n')}\nContent-Length: ${body.length}\n\n${body}`;
      const data = Buffer.from(text);
      const message = request(parseMessage(data));
      expect(message.headers.get('CSeq')).to.equal('1 OPTIONS');
      expect(message.body.toString()).to.equal(body);
    });

    it('accepts a Uint8Array view and copies the body out of it', () => {
      const bytes = typicalInvite();
      const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const message = request(parseMessage(view));
      const before = message.body.toString();
      view.fill(0x41, bytes.length - 10);
      expect(message.body.toString()).to.equal(before);
    });
  });

  describe('limits', () => {
    it('answers 513 to more header lines than maxHeaders, answerable only if the essentials came first', () => {
      const extra = Array.from({ length: 20 }, (_, i) => `X-Filler-${i}: ${i}`);
      const late = failure(
        parseMessage(wire('OPTIONS sip:a@b SIP/2.0', [...optionsHeaders(), ...extra]), { maxHeaders: 10 }),
      );
      expect(late.status).to.equal(513);
      expect(late.request?.method).to.equal('OPTIONS');
      const early = failure(
        parseMessage(wire('OPTIONS sip:a@b SIP/2.0', [...extra, ...optionsHeaders()]), { maxHeaders: 10 }),
      );
      expect(early.status).to.equal(513);
      expect(early.request).to.equal(undefined);
      expect(parseMessage(wire('OPTIONS sip:a@b SIP/2.0', optionsHeaders()), { maxHeaders: 5 }).ok).to.equal(true);
    });

    it('answers 513 to a header line longer than maxHeaderLineBytes, folded parts counted', () => {
      const folded = `X-Long: ${'a'.repeat(60)}\r\n ${'b'.repeat(60)}`;
      expect(parseMessage(typicalInvite(), { maxHeaderLineBytes: 100 }).ok).to.equal(true);
      const data = wire('INVITE sip:bob@example.net SIP/2.0', [...optionsHeadersFor('INVITE'), folded]);
      expect(failure(parseMessage(data, { maxHeaderLineBytes: 100 })).status).to.equal(513);
    });

    it('answers 413 to a body over maxBodyBytes and 513 to a message over maxMessageBytes', () => {
      expect(failure(parseMessage(typicalInvite(), { maxBodyBytes: 100 })).status).to.equal(413);
      expect(failure(parseMessage(typicalInvite(), { maxMessageBytes: 300 })).status).to.equal(513);
      expect(failure(parseMessage(typicalInvite(), { maxMessageBytes: 600 })).status).to.equal(513);
    });
  });

  describe('semantic checks', () => {
    it('parses a typical INVITE', () => {
      const message = request(parseMessage(typicalInvite()));
      expect(message.method).to.equal('INVITE');
      expect(message.uri).to.equal('sip:+15551234567@bridge.example.net');
      expect(message.headers.get('content-type')).to.equal('application/sdp');
      expect(message.body.toString()).to.match(/^v=0\r\n/);
    });

    it('answers 400 to a CSeq number above 2^31-1 and accepts 2^31-1', () => {
      expect(failure(parseMessage(inviteWith({ CSeq: '2147483648 INVITE' }))).status).to.equal(400);
      expect(parseMessage(inviteWith({ CSeq: '2147483647 INVITE' })).ok).to.equal(true);
    });

    it('answers 400 to a non-numeric Max-Forwards and tolerates a large numeric one', () => {
      expect(failure(parseMessage(inviteWith({ 'Max-Forwards': 'ten' }))).status).to.equal(400);
      expect(parseMessage(inviteWith({ 'Max-Forwards': '300' })).ok).to.equal(true);
    });

    it('answers 400 to a CSeq method that differs from a known request method', () => {
      const result = failure(parseMessage(inviteWith({ CSeq: '1 BYE' })));
      expect(result.status).to.equal(400);
      expect(result.reason).to.match(/CSeq/);
    });

    it('parses unknown methods and unknown headers', () => {
      const data = wire('FROBNICATE sip:a@b SIP/2.0', [...optionsHeadersFor('FROBNICATE'), 'X-Whatever: a, b, "c, d"']);
      const message = request(parseMessage(data));
      expect(message.method).to.equal('FROBNICATE');
      expect(message.headers.getAll('X-Whatever')).to.deep.equal(['a, b, "c, d"']);
    });

    it('parses IPv6 references in the Request-URI, Via and Contact', () => {
      const data = wire('INVITE sip:bob@[2001:db8::5]:5070;transport=udp SIP/2.0', [
        'Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;received=2001:db8::9',
        'From: <sip:alice@[2001:db8::1]>;tag=1',
        'To: <sip:bob@[2001:db8::5]>',
        'Call-ID: v6@[2001:db8::1]',
        'CSeq: 1 INVITE',
        'Contact: <sip:alice@[2001:db8::1]:5060>',
        'Content-Length: 0',
      ]);
      const message = request(parseMessage(data));
      expect(parseUri(message.uri)).to.include({ host: '[2001:db8::5]', port: 5070 });
      expect(parseVia(message.headers.get('Via') ?? '')).to.include({
        host: '[2001:db8::1]',
        port: 5060,
        received: '2001:db8::9',
      });
    });

    it('decodes header bytes that are not UTF-8 as latin1 instead of throwing', () => {
      const data = Buffer.concat([
        inviteWith({ 'Content-Length': '0' }).subarray(0, -2),
        Buffer.from([0x58, 0x2d, 0x42, 0x69, 0x6e, 0x3a, 0x20, 0xff, 0xfe, 0xc0, 0x0d, 0x0a, 0x0d, 0x0a]),
      ]);
      expect(request(parseMessage(data)).headers.get('X-Bin')).to.equal('ÿþÀ');
    });

    it('answers 505 to SIP/3.0 and 400 to a start line that is not SIP', () => {
      const data = wire('OPTIONS sip:a@b SIP/3.0', optionsHeaders());
      expect(failure(parseMessage(data))).to.include({ status: 505 });
      expect(failure(parseMessage(data)).request?.method).to.equal('OPTIONS');
      expect(failure(parseMessage(wire('OPTIONS sip:a@b HTTP/1.1', optionsHeaders())))).to.include({ status: 400 });
    });

    it('never offers an ACK for a response', () => {
      const data = wire('ACK sip:a@b SIP/2.0', [...optionsHeadersFor('ACK'), 'Content-Length: nope']);
      const result = failure(parseMessage(data));
      expect(result.status).to.equal(400);
      expect(result.request).to.equal(undefined);
    });

    it('drops a malformed response without a request to answer', () => {
      const data = wire('SIP/2.0 200 OK', [
        ...optionsHeaders().filter((h) => !h.startsWith('CSeq')),
        'CSeq: x OPTIONS',
      ]);
      expect(failure(parseMessage(data)).request).to.equal(undefined);
      expect(failure(parseMessage(Buffer.from('SIP/2.0 99 Too Small\r\n\r\n'))).request).to.equal(undefined);
    });

    it('fails, unanswerable, on garbage and on empty input', () => {
      for (const data of ['', '\r\n', 'hello', '\x00\x01\x02', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n']) {
        const result = failure(parseMessage(Buffer.from(data, 'latin1')));
        expect(result.status).to.equal(400);
        expect(result.request).to.equal(undefined);
      }
    });
  });
});

function optionsHeadersFor(method: string): string[] {
  return [
    'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx',
    'From: <sip:a@example.com>;tag=1',
    'To: <sip:b@example.com>',
    'Call-ID: c1',
    `CSeq: 1 ${method}`,
  ];
}

function optionsHeaders(): string[] {
  return optionsHeadersFor('OPTIONS');
}
