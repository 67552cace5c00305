import { expect } from 'chai';
import type { SipRequest } from '@voicebridge/sip';
import { inviteRequest } from '../invite-request.ts';
import { refuseRequest } from '../../src/admission/request-checks.ts';

function request(uri: string, extra: string[] = []): SipRequest {
  return inviteRequest(['Max-Forwards: 70', ...extra], '', uri);
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

  const withBody = inviteRequest;

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
