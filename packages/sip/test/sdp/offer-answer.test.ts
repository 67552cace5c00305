import { expect } from 'chai';
import * as sdpTransform from 'sdp-transform';
import { buildAnswer, parseOffer, snapPtime } from '../../src/sdp/index.ts';
import type { AcceptedOffer } from '../../src/sdp/index.ts';
import { accepted, BOTH, LOCAL, refused } from './answerer.ts';
import { BARESIP, IN_IP4, LINPHONE, offerWith, OPUS_G722_ONLY, SIPP_UAC, VIDEO_AND_AUDIO, ZOIPER } from './offers.ts';

describe('parseOffer (RFC 3264 §6, RFC 4566)', () => {
  describe('offers from real user agents', () => {
    it('baresip: PCMU with telephone-event at 101, default ptime', () => {
      const offer = accepted(parseOffer(BARESIP, BOTH));
      expect(offer).to.deep.include({
        audioIndex: 0,
        codec: { name: 'PCMU', payloadType: 0 },
        telephoneEventPayloadType: 101,
        ptimeMs: 20,
        remoteRtp: { address: '127.0.0.1', port: 10052 },
        direction: 'sendrecv',
      });
    });

    it("SIPp's default uac: PCMU, no telephone-event", () => {
      const offer = accepted(parseOffer(SIPP_UAC, BOTH));
      expect(offer.codec).to.deep.equal({ name: 'PCMU', payloadType: 0 });
      expect(offer).to.not.have.property('telephoneEventPayloadType');
      expect(offer.remoteRtp).to.deep.equal({ address: '127.0.0.1', port: 6000 });
    });

    it('Linphone-like: skips opus/speex, takes PCMU, picks telephone-event/8000 among three rates', () => {
      const offer = accepted(parseOffer(LINPHONE, BOTH));
      expect(offer.codec).to.deep.equal({ name: 'PCMU', payloadType: 0 });
      expect(offer.telephoneEventPayloadType).to.equal(100);
    });

    it("Zoiper-like: PCMA first in the offerer's order wins, ptime 30 kept", () => {
      const offer = accepted(parseOffer(ZOIPER, BOTH));
      expect(offer.codec).to.deep.equal({ name: 'PCMA', payloadType: 8 });
      expect(offer.telephoneEventPayloadType).to.equal(101);
      expect(offer.ptimeMs).to.equal(30);
    });

    it('video + audio + application: accepts the audio line at index 1, static PCMU without rtpmap, events at 96', () => {
      const offer = accepted(parseOffer(VIDEO_AND_AUDIO, BOTH));
      expect(offer.audioIndex).to.equal(1);
      expect(offer.codec).to.deep.equal({ name: 'PCMU', payloadType: 0 });
      expect(offer.telephoneEventPayloadType).to.equal(96);
      expect(offer.remoteRtp).to.deep.equal({ address: '203.0.113.1', port: 54402 });
    });

    it('opus/G.722 only: 488 with a 305 Warning', () => {
      const result = refused(parseOffer(OPUS_G722_ONLY, BOTH));
      expect(result.status).to.equal(488);
      expect(result.warning).to.equal('305 voicebridge "Incompatible media format: offered PCMU/PCMA not found"');
    });
  });

  describe('codec choice', () => {
    it('respects our codec list: PCMA only skips an earlier PCMU', () => {
      expect(
        accepted(parseOffer(BARESIP.replace('RTP/AVP 0 101', 'RTP/AVP 0 8 101'), { codecs: ['PCMA'] })).codec,
      ).to.deep.equal({ name: 'PCMA', payloadType: 8 });
    });

    it('matches dynamic payload types by rtpmap name, case-insensitively, at 8000 Hz only', () => {
      const offer = offerWith({
        connection: IN_IP4,
        mline: 'm=audio 4000 RTP/AVP 97 96',
        extra: ['a=rtpmap:97 PCMA/16000', 'a=rtpmap:96 pcmu/8000'],
      });
      expect(accepted(parseOffer(offer, BOTH)).codec).to.deep.equal({ name: 'PCMU', payloadType: 96 });
    });

    it('follows an rtpmap that renames a static payload type', () => {
      const offer = [
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.10',
        's=-',
        IN_IP4,
        't=0 0',
        'm=audio 4000 RTP/AVP 8',
        'a=rtpmap:8 G729/8000',
        '',
      ].join('\r\n');
      expect(refused(parseOffer(offer, BOTH)).status).to.equal(488);
    });

    it('ignores telephone-event that is not in the m= format list or not dynamic', () => {
      expect(
        accepted(parseOffer(offerWith({ connection: IN_IP4, mline: 'm=audio 4000 RTP/AVP 0' }), BOTH)),
      ).to.not.have.property('telephoneEventPayloadType');
      const lowPt = offerWith({
        connection: IN_IP4,
        mline: 'm=audio 4000 RTP/AVP 0 77',
        extra: ['a=rtpmap:77 telephone-event/8000'],
      });
      expect(accepted(parseOffer(lowPt, BOTH))).to.not.have.property('telephoneEventPayloadType');
    });

    it('skips an audio line with port 0 or without our codecs and takes the next one', () => {
      const offer = [
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.10',
        's=-',
        IN_IP4,
        't=0 0',
        'm=audio 0 RTP/AVP 0',
        'm=audio 5000 RTP/AVP 9',
        'a=rtpmap:9 G722/8000',
        'm=audio 5002 RTP/AVP 8',
        '',
      ].join('\r\n');
      const accepted2 = accepted(parseOffer(offer, BOTH));
      expect(accepted2.audioIndex).to.equal(2);
      expect(accepted2.codec.name).to.equal('PCMA');
    });

    it('accepts RTP/AVPF and refuses SRTP-only audio with 488/302', () => {
      expect(
        accepted(parseOffer(offerWith({ connection: IN_IP4, mline: 'm=audio 4000 RTP/AVPF 0' }), BOTH)).codec.name,
      ).to.equal('PCMU');
      const srtp = refused(parseOffer(offerWith({ connection: IN_IP4, mline: 'm=audio 4000 RTP/SAVP 0' }), BOTH));
      expect(srtp.status).to.equal(488);
      expect(srtp.warning).to.match(/^302 voicebridge "/);
    });
  });

  describe('ptime', () => {
    it('snaps a=ptime to 10/20/30/40 and defaults to 20', () => {
      expect(
        [undefined, 0, -5, Number.NaN, 10, 15, 20, 25, 30, 40, 60, 5].map((value) => snapPtime(value)),
      ).to.deep.equal([20, 20, 20, 20, 10, 10, 20, 20, 30, 40, 40, 10]);
      expect(accepted(parseOffer(offerWith({ connection: IN_IP4, extra: ['a=ptime:60'] }), BOTH)).ptimeMs).to.equal(40);
    });
  });

  describe('direction and hold (RFC 3264 §6.1, §8.4)', () => {
    const cases: [string[], string[], string][] = [
      [[], [], 'sendrecv'],
      [[], ['a=sendonly'], 'recvonly'],
      [[], ['a=recvonly'], 'sendonly'],
      [[], ['a=inactive'], 'inactive'],
      [['a=sendonly'], [], 'recvonly'],
      [['a=sendonly'], ['a=sendrecv'], 'sendrecv'],
    ];
    for (const [session, media, ours] of cases) {
      it(`offer session [${session.join(' ')}] media [${media.join(' ')}] → we are ${ours}`, () => {
        expect(accepted(parseOffer(offerWith({ connection: IN_IP4, session, extra: media }), BOTH)).direction).to.equal(
          ours,
        );
      });
    }

    it('accepts an RFC 2543 hold (c=0.0.0.0) and never sends to it', () => {
      const hold = accepted(parseOffer(offerWith({ connection: 'c=IN IP4 0.0.0.0' }), BOTH));
      expect(hold.remoteRtp.address).to.equal('0.0.0.0');
      expect(hold.direction).to.equal('recvonly');
      const holdSendonly = accepted(
        parseOffer(offerWith({ connection: 'c=IN IP4 0.0.0.0', extra: ['a=recvonly'] }), BOTH),
      );
      expect(holdSendonly.direction).to.equal('inactive');
    });
  });

  describe('connection address', () => {
    it('prefers the media-level c= over the session-level one', () => {
      const offer = offerWith({ connection: IN_IP4, mediaConnection: 'c=IN IP4 198.51.100.77' });
      expect(accepted(parseOffer(offer, BOTH)).remoteRtp.address).to.equal('198.51.100.77');
      expect(
        accepted(parseOffer(offerWith({ mediaConnection: 'c=IN IP4 198.51.100.78' }), BOTH)).remoteRtp.address,
      ).to.equal('198.51.100.78');
    });

    it('accepts IN IP6', () => {
      const offer = offerWith({ connection: 'c=IN IP6 2001:db8::20' });
      expect(accepted(parseOffer(offer, BOTH)).remoteRtp).to.deep.equal({ address: '2001:db8::20', port: 49170 });
    });

    it('refuses a missing c= (400), a host name (488/301) and multicast (488/300)', () => {
      const missing = refused(parseOffer(offerWith({}), BOTH));
      expect(missing.status).to.equal(400);
      expect(refused(parseOffer(offerWith({ connection: 'c=IN IP4 media.example.com' }), BOTH)).warning).to.match(
        /^301 /,
      );
      expect(refused(parseOffer(offerWith({ connection: 'c=IN IP4 224.2.1.1/127' }), BOTH)).warning).to.match(/^300 /);
    });
  });

  describe('malformed and empty offers', () => {
    for (const [label, text] of [
      ['empty', ''],
      ['garbage', 'hello world\r\nthis is not SDP\r\n'],
      ['binary noise', '\u0000\u0001\u00ff'],
      ['no o= line', 'v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'],
      [
        'unreadable m= line',
        'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio port RTP/AVP 0\r\n',
      ],
      ['v=1', 'v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n'],
    ] as const) {
      it(`answers 400 to ${label}`, () => {
        const result = refused(parseOffer(text, BOTH));
        expect(result.status).to.equal(400);
        expect(result.warning).to.match(/^399 voicebridge "Malformed SDP: /);
      });
    }

    it('answers 488/304 to valid SDP without any audio stream', () => {
      const noMedia = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n';
      expect(refused(parseOffer(noMedia, BOTH))).to.deep.include({ status: 488 });
      expect(refused(parseOffer(`${noMedia}m=video 5000 RTP/AVP 31\r\n`, BOTH)).warning).to.match(/^304 /);
    });
  });
});

describe('buildAnswer (RFC 3264 §6)', () => {
  function answerTo(
    offerText: string,
    local = LOCAL,
  ): { offer: AcceptedOffer; answer: string; parsed: sdpTransform.SessionDescription } {
    const offer = accepted(parseOffer(offerText, BOTH));
    const answer = buildAnswer(offer, local);
    return { offer, answer, parsed: sdpTransform.parse(answer) };
  }

  it('answers every m= line in order, refusing all but the accepted audio with port 0 and the same formats', () => {
    const { answer, parsed } = answerTo(VIDEO_AND_AUDIO);
    expect(parsed.media.map((m) => [m.type, m.port, m.protocol, String(m.payloads)])).to.deep.equal([
      ['video', 0, 'RTP/AVPF', '96 97'],
      ['audio', 20000, 'RTP/AVP', '0 96'],
      ['application', 0, 'UDP/BFCP', '*'],
    ]);
    expect(answer).to.include('a=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n');
  });

  it('carries exactly one codec with the offerer payload type, our address in o= and c=, CRLF line ends', () => {
    const { answer, parsed } = answerTo(ZOIPER);
    expect(answer.split('\r\n').slice(0, 5)).to.deep.equal([
      'v=0',
      'o=- 4242 1 IN IP4 203.0.113.5',
      's=-',
      'c=IN IP4 203.0.113.5',
      't=0 0',
    ]);
    expect(answer.replace(/\r\n/g, '')).to.not.match(/[\r\n]/);
    expect(answer.endsWith('\r\n')).to.equal(true);
    const audio = parsed.media[0];
    expect(String(audio?.payloads)).to.equal('8 101');
    expect(audio?.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).to.deep.equal([
      '8 PCMA/8000',
      '101 telephone-event/8000',
    ]);
    expect(audio?.ptime).to.equal(30);
    expect(audio?.direction).to.equal('sendrecv');
  });

  it('echoes a dynamic codec payload type and omits ptime and telephone-event when the offer had none', () => {
    const offerText = offerWith({
      connection: IN_IP4,
      mline: 'm=audio 4000 RTP/AVP 96',
      extra: ['a=rtpmap:96 PCMU/8000'],
    });
    const { answer, parsed } = answerTo(offerText);
    expect(String(parsed.media[0]?.payloads)).to.equal('96');
    expect(answer).to.not.include('a=ptime');
    expect(answer).to.not.include('telephone-event');
  });

  it('states our direction: recvonly to a sendonly offer, inactive to an inactive one', () => {
    expect(answerTo(offerWith({ connection: IN_IP4, extra: ['a=sendonly'] })).parsed.media[0]?.direction).to.equal(
      'recvonly',
    );
    expect(answerTo(offerWith({ connection: IN_IP4, extra: ['a=inactive'] })).parsed.media[0]?.direction).to.equal(
      'inactive',
    );
  });

  it('uses IN IP6 for an IPv6 local address and the given o= username', () => {
    const { answer } = answerTo(BARESIP, { ...LOCAL, address: '2001:db8::5', username: 'voicebridge' });
    expect(answer).to.include('o=voicebridge 4242 1 IN IP6 2001:db8::5\r\n');
    expect(answer).to.include('c=IN IP6 2001:db8::5\r\n');
  });

  it('answers every real-UA offer with as many m= lines as it had', () => {
    for (const offerText of [BARESIP, SIPP_UAC, LINPHONE, ZOIPER, VIDEO_AND_AUDIO]) {
      const { offer, parsed } = answerTo(offerText);
      expect(parsed.media).to.have.length(offer.parsed.media.length);
      const audio = parsed.media[offer.audioIndex];
      expect(audio?.rtp.filter((r) => r.codec !== 'telephone-event')).to.have.length(1);
      expect(parsed.media.filter((m, i) => i !== offer.audioIndex).every((m) => m.port === 0)).to.equal(true);
    }
  });
});
