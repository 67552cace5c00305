import { expect } from 'chai';
import { maskSipMessage } from '../src/sip-trace.ts';

describe('maskSipMessage', () => {
  it('keeps scheme, username and realm of a digest Authorization, and nothing of its response', () => {
    const message = [
      'INVITE sip:+15551230001@203.0.113.10 SIP/2.0',
      'Authorization: Digest username="carrier", realm="voicebridge", nonce="abc", uri="sip:+15551230001@203.0.113.10", response="6629fae49393a05397450978507c4ef1", algorithm=MD5',
      'proxy-authorization: Digest username=carrier2,realm=x,response=deadbeef',
      'Call-ID: a@b',
      '',
    ].join('\r\n');
    const masked = maskSipMessage(message);
    expect(masked).to.not.include('6629fae49393a05397450978507c4ef1');
    expect(masked).to.not.include('deadbeef');
    expect(masked).to.include('Authorization: Digest username="carrier", realm="voicebridge", ********\r\n');
    expect(masked).to.include('proxy-authorization: Digest username=carrier2, realm=x, ********\r\n');
    expect(masked).to.include('Call-ID: a@b');
  });

  it('hides a Basic credential whole', () => {
    expect(maskSipMessage('Authorization: Basic YWxpY2U6c2VjcmV0\r\n')).to.equal('Authorization: Basic ********\r\n');
  });

  it('replaces every SDES master key (RFC 4568 inline:) and keeps the rest of the crypto line', () => {
    const sdp = [
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4',
      'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj',
    ].join('\r\n');
    const masked = maskSipMessage(sdp);
    expect(masked).to.equal(
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:********|2^20|1:4\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:********',
    );
  });
});
