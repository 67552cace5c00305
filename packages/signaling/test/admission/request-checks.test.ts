import { expect } from 'chai';
import { parseMessage, type SipRequest } from '@voicebridge/sip';
import { refuseRequest } from '../../src/admission/request-checks.ts';

function request(uri: string, extra: string[] = []): SipRequest {
  const text = [
    `INVITE ${uri} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKx',
    'From: <sip:a@b>;tag=1',
    'To: <sip:c@d>',
    'Call-ID: x',
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text));
  if (!parsed.ok || parsed.message.type !== 'request') throw new Error('fixture did not parse');
  return parsed.message;
}

describe('refuseRequest', () => {
  it('accepts sip, sips and tel Request-URIs', () => {
    expect(refuseRequest(request('sip:+15550100@127.0.0.1'))).to.equal(undefined);
    expect(refuseRequest(request('sips:+15550100@127.0.0.1'))).to.equal(undefined);
    expect(refuseRequest(request('tel:+15550100'))).to.equal(undefined);
  });

  it('answers 416 to a scheme it does not know (RFC 4475 unkscm)', () => {
    expect(refuseRequest(request('nobodyKnowsThisScheme:totallyopaquecontent'))?.status).to.equal(416);
  });

  it('answers 420 with Unsupported naming the option tags it lacks (RFC 4475 bext01)', () => {
    const refusal = refuseRequest(
      request('sip:+15550100@127.0.0.1', ['Require: nothingSupportsThis, nothingSupportsThisEither']),
    );
    expect(refusal?.status).to.equal(420);
    expect(refusal?.headers).to.deep.equal([['Unsupported', 'nothingSupportsThis, nothingSupportsThisEither']]);
  });

  const withBody = (headers: string[], body: string): SipRequest => {
    const text = [
      'INVITE sip:+15550100@127.0.0.1 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKx',
      'From: <sip:a@b>;tag=1',
      'To: <sip:c@d>',
      'Call-ID: x',
      'CSeq: 1 INVITE',
      ...headers,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    const parsed = parseMessage(Buffer.from(text));
    if (!parsed.ok || parsed.message.type !== 'request') throw new Error('fixture did not parse');
    return parsed.message;
  };

  it('answers 415 with Accept to an INVITE body that is not SDP, before the number is looked up (RFC 4475 invut)', () => {
    const refusal = refuseRequest(
      withBody(['Content-Type: application/unknownformat'], '<audio> <pcmu port="443"/> </audio>'),
    );
    expect(refusal).to.deep.equal({ status: 415, headers: [['Accept', 'application/sdp']] });
    expect(refuseRequest(withBody(['Content-Type: Application/SDP ; charset=utf-8'], 'v=0\r\n'))).to.equal(undefined);
    expect(
      refuseRequest(withBody(['Content-Type: application/sdp', 'Content-Encoding: gzip'], 'v=0\r\n'))?.status,
    ).to.equal(415);
  });

  it('answers 406 to an INVITE whose Accept excludes SDP, and accepts application/* or */* (RFC 4475 sdp01)', () => {
    expect(
      refuseRequest(withBody(['Content-Type: application/sdp', 'Accept: text/nobodyKnowsThis'], 'v=0\r\n'))?.status,
    ).to.equal(406);
    expect(
      refuseRequest(withBody(['Content-Type: application/sdp', 'Accept: text/plain, application/*;q=0.5'], 'v=0\r\n')),
    ).to.equal(undefined);
    expect(refuseRequest(withBody(['Content-Type: application/sdp', 'Accept: */*'], 'v=0\r\n'))).to.equal(undefined);
    expect(refuseRequest(withBody(['Content-Type: application/sdp'], 'v=0\r\n'))).to.equal(undefined);
  });

  it('leaves the body of a request other than INVITE alone: its method decides first (405/501)', () => {
    const options = request('sip:+15550100@127.0.0.1', ['Accept: text/nobodyKnowsThis']);
    expect(refuseRequest({ ...options, method: 'OPTIONS' })).to.equal(undefined);
  });
});
