import { expect } from 'chai';
import * as sdpTransform from 'sdp-transform';
import { buildAnswer, parseOffer } from '../../src/sdp/index.ts';
import { BARESIP, LINPHONE, OPUS_G722_ONLY, SIPP_UAC, VIDEO_AND_AUDIO, ZOIPER } from './offers.ts';
import { seededRandom as random } from '../seeded-random.ts';

const PIECES = [
  ' ',
  '\r\n',
  '=',
  ':',
  '/',
  '0',
  '8',
  '101',
  'a=',
  'm=audio ',
  'c=IN IP4 ',
  'x',
  '\u0000',
  '-1',
  '99999',
];

describe('parseOffer robustness', () => {
  it('10,000 mutated offers never throw, and every accepted one yields a structurally valid answer', () => {
    const seeds = [BARESIP, SIPP_UAC, LINPHONE, ZOIPER, VIDEO_AND_AUDIO, OPUS_G722_ONLY];
    const next = random(7);
    let acceptedCount = 0;
    for (let i = 0; i < 10000; i++) {
      let text = seeds[i % seeds.length] ?? '';
      for (let edit = 0; edit < 1 + Math.floor(next() * 4); edit++) {
        const at = Math.floor(next() * text.length);
        const cut = Math.floor(next() * 8);
        const piece = next() < 0.5 ? (PIECES[Math.floor(next() * PIECES.length)] ?? '') : '';
        text = text.slice(0, at) + piece + text.slice(at + cut);
      }
      const outcome = parseOffer(text, { codecs: ['PCMU', 'PCMA'] });
      if (!outcome.ok) {
        expect([400, 488]).to.include(outcome.status);
        continue;
      }
      acceptedCount++;
      const answer = buildAnswer(outcome.offer, {
        address: '192.0.2.1',
        port: 30000,
        sessionId: '1',
        sessionVersion: 1,
      });
      expect(sdpTransform.parse(answer).media, text).to.have.length(outcome.offer.parsed.media.length);
      expect(outcome.offer.remoteRtp.port).to.be.within(1, 65535);
    }
    expect(acceptedCount).to.be.greaterThan(1000);
  });
});
