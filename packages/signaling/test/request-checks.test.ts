import { expect } from 'chai';
import { parseMessage, type SipRequest } from '@voicebridge/sip';
import { refuseRequest } from '../src/request-checks.ts';

function request(uri: string, extra: string[] = []): SipRequest {
  const text = [`INVITE ${uri} SIP/2.0`, 'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKx', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>', 'Call-ID: x', 'CSeq: 1 INVITE', 'Max-Forwards: 70', ...extra, 'Content-Length: 0', '', ''].join('\r\n');
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
    const refusal = refuseRequest(request('sip:+15550100@127.0.0.1', ['Require: nothingSupportsThis, nothingSupportsThisEither']));
    expect(refusal?.status).to.equal(420);
    expect(refusal?.headers).to.deep.equal([['Unsupported', 'nothingSupportsThis, nothingSupportsThisEither']]);
  });
});
