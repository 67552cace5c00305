import { expect } from 'chai';
import {
  createResponse,
  generateBranch,
  generateCallId,
  generateTag,
  parseMessage,
  parseNameAddr,
  reasonPhrase,
  serializeMessage,
} from '../../src/messages/index.ts';
import type { SipRequest } from '../../src/messages/index.ts';
import { itWithTorture, readTorture } from './torture-fixtures.ts';
import { typicalInvite, wire } from './sip-builders.ts';

function parseRequest(data: Buffer): SipRequest {
  const outcome = parseMessage(data);
  if (!outcome.ok || outcome.message.type !== 'request') return expect.fail('expected a request');
  return outcome.message;
}

describe('createResponse (RFC 3261 §8.2.6.2)', () => {
  const invite = wire('INVITE sip:bob@example.net SIP/2.0', [
    'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp, SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa',
    'Via: SIP/2.0/TCP 192.0.2.9;branch=z9hG4bKz',
    'Max-Forwards: 69',
    'From: "Alice" <sip:alice@example.com>;tag=9fx',
    'To: <sip:bob@example.net>',
    'Call-ID: c1@192.0.2.10',
    'CSeq: 7 INVITE',
    'Timestamp: 54.21',
    'Contact: <sip:alice@192.0.2.10>',
    'Content-Length: 0',
  ]);

  it('copies every Via line in order, From, To, Call-ID and CSeq, and adds our To tag', () => {
    const response = createResponse(parseRequest(invite), 180, undefined, { toTag: 'ourtag' });
    expect(response.reason).to.equal('Ringing');
    expect(response.headers.getLines('Via')).to.deep.equal([
      'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp, SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa',
      'SIP/2.0/TCP 192.0.2.9;branch=z9hG4bKz',
    ]);
    expect(response.headers.get('From')).to.equal('"Alice" <sip:alice@example.com>;tag=9fx');
    expect(parseNameAddr(response.headers.get('To') ?? '')?.tag).to.equal('ourtag');
    expect(response.headers.get('Call-ID')).to.equal('c1@192.0.2.10');
    expect(response.headers.get('CSeq')).to.equal('7 INVITE');
    expect(response.headers.has('Contact')).to.equal(false);
    expect(response.headers.has('Max-Forwards')).to.equal(false);
    expect(response.headers.has('Timestamp')).to.equal(false);
  });

  it('adds no tag to a 100 Trying but copies Timestamp into it (§8.2.6.1)', () => {
    const trying = createResponse(parseRequest(invite), 100, undefined, { toTag: 'ourtag' });
    expect(trying.headers.get('To')).to.equal('<sip:bob@example.net>');
    expect(trying.headers.get('Timestamp')).to.equal('54.21');
  });

  it('keeps an existing To tag (in-dialog request)', () => {
    const bye = wire('BYE sip:bob@example.net SIP/2.0', [
      'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKb',
      'From: <sip:alice@example.com>;tag=9fx',
      'To: <sip:bob@example.net>;tag=existing',
      'Call-ID: c1',
      'CSeq: 8 BYE',
    ]);
    const ok = createResponse(parseRequest(bye), 200, undefined, { toTag: 'other' });
    expect(parseNameAddr(ok.headers.get('To') ?? '')?.tag).to.equal('existing');
  });

  it('appends extra headers, the body and its Content-Type, and serializes to a parseable response', () => {
    const body = Buffer.from('v=0\r\n');
    const response = createResponse(parseRequest(typicalInvite()), 200, 'OK', {
      toTag: 't1',
      headers: [
        ['Contact', '<sip:bridge@203.0.113.5>'],
        ['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS'],
      ],
      body,
      contentType: 'application/sdp',
    });
    const reparsed = parseMessage(serializeMessage(response));
    if (!reparsed.ok || reparsed.message.type !== 'response') return expect.fail('expected a response');
    expect(reparsed.message.status).to.equal(200);
    expect(reparsed.message.headers.get('Content-Type')).to.equal('application/sdp');
    expect(reparsed.message.headers.getAll('Allow')).to.have.length(5);
    expect(reparsed.message.body.equals(body)).to.equal(true);
  });

  itWithTorture('answers an RFC 4475 request the parser refused, echoing its malformed To verbatim', (dir) => {
    const outcome = parseMessage(readTorture(dir, 'badaspec.sip'));
    if (outcome.ok || outcome.request === undefined) return expect.fail('expected an answerable failure');
    const response = createResponse(outcome.request, outcome.status, outcome.reason, { toTag: 'x' });
    expect(response.headers.get('To')).to.equal('"Watson, Thomas" < sip:t.watson@example.org >');
    expect(serializeMessage(response).toString()).to.match(/^SIP\/2\.0 400 Malformed To header\r\n/);
  });
});

describe('reasonPhrase and generators', () => {
  it('knows the common codes and falls back to the class', () => {
    expect(reasonPhrase(200)).to.equal('OK');
    expect(reasonPhrase(487)).to.equal('Request Terminated');
    expect(reasonPhrase(488)).to.equal('Not Acceptable Here');
    expect(reasonPhrase(499)).to.equal('Client Error');
  });

  it('generates unique tags, magic-cookie branches and Call-IDs', () => {
    const tags = new Set(Array.from({ length: 1000 }, () => generateTag()));
    expect(tags.size).to.equal(1000);
    expect(generateBranch()).to.match(/^z9hG4bK[0-9a-f]{24}$/);
    expect(generateCallId()).to.match(/^[0-9a-f]{32}$/);
    expect(generateCallId('203.0.113.5')).to.match(/^[0-9a-f]{32}@203\.0\.113\.5$/);
  });
});
