import { expect } from 'chai';
import * as sdpTransform from 'sdp-transform';
import { buildAnswer, parseOffer } from '../../src/sdp/index.ts';
import { accepted, BOTH, LOCAL, refused } from './answerer.ts';
import { IN_IP4, offerWith } from './offers.ts';

const KEY_A = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'; // 30 bytes, RFC 4568 §9.1's example shape
const KEY_B = Buffer.alloc(30, 7).toString('base64');
const SAVP = 'm=audio 4000 RTP/SAVP 0 101';

describe('SDES-SRTP offers (RFC 4568)', () => {
  it('accepts RTP/SAVP with AES_CM_128_HMAC_SHA1_80 and answers RTP/SAVP with our key under the same tag', () => {
    const offer = accepted(
      parseOffer(
        offerWith({
          connection: IN_IP4,
          mline: SAVP,
          extra: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}|2^20`],
        }),
        BOTH,
      ),
    );
    expect(offer.crypto).to.deep.equal({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: KEY_A });
    const answer = sdpTransform.parse(
      buildAnswer(offer, { ...LOCAL, crypto: { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: KEY_B } }),
    );
    expect(answer.media[0]?.protocol).to.equal('RTP/SAVP');
    expect(answer.media[0]?.crypto).to.deep.equal([
      { id: 1, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${KEY_B}` },
    ]);
  });

  it("picks the first suite we support in the offerer's order", () => {
    const offer = accepted(
      parseOffer(
        offerWith({
          connection: IN_IP4,
          mline: SAVP,
          extra: [
            `a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:${Buffer.alloc(46).toString('base64')}`,
            `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${KEY_A}`,
            `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}`,
          ],
        }),
        BOTH,
      ),
    );
    expect(offer.crypto).to.deep.include({ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32' });
  });

  const unsupported: [string, string[]][] = [
    ['no a=crypto at all', []],
    ['only AES_256', [`a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:${Buffer.alloc(46).toString('base64')}`]],
    ['an MKI', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}|2^20|1:4`]],
    ['a short key', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(16).toString('base64')}`]],
    ['a session parameter', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A} UNENCRYPTED_SRTP`]],
    ['a key that is not inline', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:${KEY_A}`]],
  ];
  for (const [name, extra] of unsupported) {
    it(`refuses RTP/SAVP with ${name}: 488 and a Warning naming what we support`, () => {
      const outcome = refused(parseOffer(offerWith({ connection: IN_IP4, mline: SAVP, extra }), BOTH));
      expect(outcome.status).to.equal(488);
      expect(outcome.warning).to.match(/^302 voicebridge ".*AES_CM_128_HMAC_SHA1_80/);
    });
  }

  it('refuses DTLS-SRTP (UDP/TLS/RTP/SAVP) and RTP/SAVPF with 488 and a Warning', () => {
    for (const profile of ['UDP/TLS/RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'RTP/SAVPF']) {
      const outcome = refused(
        parseOffer(
          offerWith({
            connection: IN_IP4,
            mline: `m=audio 4000 ${profile} 0`,
            extra: ['a=fingerprint:sha-256 AB:CD', 'a=setup:actpass'],
          }),
          BOTH,
        ),
      );
      expect(outcome.status, profile).to.equal(488);
      expect(outcome.warning, profile).to.match(/^302 voicebridge "/);
    }
  });

  it('leaves RTP/AVP offers plain even when they carry a=crypto', () => {
    const offer = accepted(
      parseOffer(
        offerWith({ connection: IN_IP4, extra: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`] }),
        BOTH,
      ),
    );
    expect(offer).to.not.have.property('crypto');
    expect(buildAnswer(offer, LOCAL)).to.not.include('a=crypto');
  });

  it('takes a later RTP/SAVP stream when the first secure one has no usable key', () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.10',
      's=-',
      IN_IP4,
      't=0 0',
      'm=audio 4000 RTP/SAVP 0',
      'a=crypto:1 F8_128_HMAC_SHA1_80 inline:' + KEY_A,
      'm=audio 4002 RTP/SAVP 0',
      `a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`,
      '',
    ].join('\r\n');
    const offer = accepted(parseOffer(sdp, BOTH));
    expect(offer.audioIndex).to.equal(1);
    expect(offer.crypto?.tag).to.equal(7);
  });

  it('will not build an RTP/SAVP answer without our key', () => {
    const offer = accepted(
      parseOffer(
        offerWith({ connection: IN_IP4, mline: SAVP, extra: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`] }),
        BOTH,
      ),
    );
    expect(() => buildAnswer(offer, LOCAL)).to.throw(TypeError);
  });
});
