import { expect } from 'chai';
import type { SipRequest } from '@voicebridge/sip';
import { inviteRequest } from '../invite-request.ts';
import { readOffer } from '../../src/call/read-offer.ts';
import { MediaTargetPolicy } from '../../src/call/media-target.ts';

function invite(body: string, contentType = 'application/sdp'): SipRequest {
  return inviteRequest(['Max-Forwards: 70', ...(body ? [`Content-Type: ${contentType}`] : [])], body);
}

function sdp(formats: string, rtpmaps: string[]): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio 40000 RTP/AVP ${formats}`,
    ...rtpmaps.map((line) => `a=rtpmap:${line}`),
    '',
  ].join('\r\n');
}

describe('readOffer (the INVITE offer we answer)', () => {
  it('reads a PCMU offer', () => {
    const outcome = readOffer(invite(sdp('0', ['0 PCMU/8000'])));
    expect(outcome.ok && outcome.offer.codec.name).to.equal('PCMU');
  });

  it('refuses an INVITE without an offer with 488 and a Warning', () => {
    const outcome = readOffer(invite(''));
    expect(outcome).to.deep.include({ ok: false, status: 488 });
    expect(!outcome.ok && outcome.headers[0]?.[0]).to.equal('Warning');
    expect(!outcome.ok && outcome.warning).to.equal(undefined);
  });

  it('refuses a body that is not SDP with 415 and Accept: application/sdp', () => {
    const outcome = readOffer(invite('hello', 'text/plain'));
    expect(outcome).to.deep.equal({ ok: false, status: 415, headers: [['Accept', 'application/sdp']] });
  });

  it('refuses an offer with no PCMU or PCMA with 488, the Warning in the header and the outcome', () => {
    const outcome = readOffer(invite(sdp('9', ['9 G722/8000'])));
    expect(outcome).to.deep.include({ ok: false, status: 488 });
    if (outcome.ok) return;
    expect(outcome.warning).to.be.a('string').and.not.equal('');
    expect(outcome.headers).to.deep.equal([['Warning', outcome.warning]]);
  });

  it('refuses an offer aimed at broadcast, or at loopback from a remote caller, with 488 and the Warning', () => {
    const policy = new MediaTargetPolicy({ ownAddresses: [] });
    const aimed = (address: string): SipRequest =>
      invite(sdp('0', ['0 PCMU/8000']).replace('c=IN IP4 127.0.0.1', `c=IN IP4 ${address}`));
    const broadcast = readOffer(aimed('255.255.255.255'), { policy, sipSource: '127.0.0.1' });
    expect(broadcast).to.deep.include({ ok: false, status: 488 });
    expect(!broadcast.ok && broadcast.headers).to.deep.equal([['Warning', !broadcast.ok && broadcast.warning]]);
    expect(readOffer(aimed('127.0.0.1'), { policy, sipSource: '198.51.100.20' })).to.deep.include({
      ok: false,
      status: 488,
    });
    expect(readOffer(aimed('127.0.0.1'), { policy, sipSource: '127.0.0.1' }).ok).to.equal(true);
  });
});
