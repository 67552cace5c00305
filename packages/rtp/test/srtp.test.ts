import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import {
  REPLAY_WINDOW_SIZE,
  ReplayWindow,
  SrtpSession,
  aesCmKeystream,
  deriveSrtpKeys,
  encryptSrtcp,
  encryptSrtp,
  srtpIv,
  writeRtpHeader,
  type SrtpMasterKey,
} from '../src/index.ts';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

// RFC 3711 Appendix B.3 (and libsrtp's test_key): master key and salt.
const MASTER: SrtpMasterKey = {
  key: hex('E1F97A0D3E018BE0D64FA32C06DE4139'),
  salt: hex('0EC675AD498AFEEBB6960B3AABE6'),
};

describe('SRTP key derivation and AES-CM (RFC 3711 Appendix B)', () => {
  it('B.2: the AES-CM keystream for session key 2B7E… and IV F0F1…FCFD0000', () => {
    const stream = aesCmKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'), hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'), 48);
    expect(stream.toString('hex').toUpperCase()).to.equal(
      'E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0',
    );
  });

  it('B.3: derives the session encryption key, salt and authentication key', () => {
    const keys = deriveSrtpKeys(MASTER.key, MASTER.salt);
    expect(keys.rtp.encryptionKey.toString('hex').toUpperCase()).to.equal('C61E7A93744F39EE10734AFE3FF7A087');
    expect(keys.rtp.salt.toString('hex').toUpperCase()).to.equal('30CBBC08863D8C85D49DB34A9AE1');
    expect(keys.rtp.authKey.toString('hex').toUpperCase()).to.equal('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });

  it('forms the IV from salt, SSRC and index (§4.1.1)', () => {
    const iv = srtpIv(hex('30CBBC08863D8C85D49DB34A9AE1'), 0xcafebabe, 0x1234);
    expect(iv.toString('hex')).to.equal('30cbbc084cc3363bd49db34a88d50000');
  });

  it('rejects master keys of the wrong size', () => {
    expect(() => deriveSrtpKeys(Buffer.alloc(15), MASTER.salt)).to.throw(RangeError);
    expect(() => deriveSrtpKeys(MASTER.key, Buffer.alloc(16))).to.throw(RangeError);
  });
});

// libsrtp test/srtp_driver.c srtp_validate(): an independent implementation's output for this key.
const RTP_PLAIN = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
const SRTP_CIPHER = hex('800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
const RTCP_PLAIN = hex('81c8000bcafebabe' + 'ab'.repeat(16));
const SRTCP_CIPHER = hex('81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');

describe('SRTP/SRTCP packets (AES_CM_128_HMAC_SHA1_80)', () => {
  it('protects an RTP packet exactly as libsrtp does', () => {
    const keys = deriveSrtpKeys(MASTER.key, MASTER.salt);
    expect(encryptSrtp(keys.rtp, RTP_PLAIN, 12, 0, 10).toString('hex')).to.equal(SRTP_CIPHER.toString('hex'));
    const session = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: MASTER, remote: MASTER });
    expect(session.protectRtp(RTP_PLAIN)?.toString('hex')).to.equal(SRTP_CIPHER.toString('hex'));
  });

  it('protects an RTCP packet with SRTCP index 1 exactly as libsrtp does', () => {
    const keys = deriveSrtpKeys(MASTER.key, MASTER.salt);
    expect(encryptSrtcp(keys.rtcp, RTCP_PLAIN, 1)?.toString('hex')).to.equal(SRTCP_CIPHER.toString('hex'));
  });

  it("unprotects libsrtp's SRTP and SRTCP packets", () => {
    const session = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: MASTER, remote: MASTER });
    expect(session.unprotectRtp(SRTP_CIPHER)?.toString('hex')).to.equal(RTP_PLAIN.toString('hex'));
    expect(session.unprotectRtcp(SRTCP_CIPHER)?.toString('hex')).to.equal(RTCP_PLAIN.toString('hex'));
  });

  it('refuses a packet with a flipped bit, a short packet and a replay', () => {
    const session = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: MASTER, remote: MASTER });
    const tampered = Buffer.from(SRTP_CIPHER);
    tampered[14] = (tampered[14] as number) ^ 1;
    expect(session.unprotectRtp(tampered)).to.equal(undefined);
    expect(session.unprotectRtp(SRTP_CIPHER.subarray(0, 20))).to.equal(undefined);
    expect(session.unprotectRtp(SRTP_CIPHER)).to.not.equal(undefined);
    expect(session.unprotectRtp(SRTP_CIPHER), 'replayed SRTP').to.equal(undefined);
    expect(session.unprotectRtcp(SRTCP_CIPHER)).to.not.equal(undefined);
    expect(session.unprotectRtcp(SRTCP_CIPHER), 'replayed SRTCP').to.equal(undefined);
    const badRtcp = Buffer.from(SRTCP_CIPHER);
    badRtcp[10] = (badRtcp[10] as number) ^ 1;
    expect(session.unprotectRtcp(badRtcp)).to.equal(undefined);
  });
});

function rtp(seq: number, payload: Buffer, ssrc = 0x11223344): Buffer {
  const packet = Buffer.alloc(12 + payload.length);
  writeRtpHeader(packet, 0, { marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc });
  payload.copy(packet, 12);
  return packet;
}

describe('SrtpSession round trip', () => {
  const ours = { key: randomBytes(16), salt: randomBytes(14) };
  const theirs = { key: randomBytes(16), salt: randomBytes(14) };

  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    it(`${suite}: what one side protects the other unprotects, across a sequence-number wrap`, () => {
      const sender = new SrtpSession({ suite, local: ours, remote: theirs });
      const receiver = new SrtpSession({ suite, local: theirs, remote: ours });
      let count = 0;
      for (let i = 0; i < 200; i++) {
        const seq = (0xff80 + i) & 0xffff; // wraps after 128 packets: the ROC must follow on both sides
        const payload = randomBytes(160);
        const protectedPacket = sender.protectRtp(rtp(seq, payload));
        expect(protectedPacket?.length).to.equal(172 + (suite.endsWith('80') ? 10 : 4));
        expect(protectedPacket?.subarray(12, 172).equals(payload)).to.equal(false);
        const plain = receiver.unprotectRtp(protectedPacket as Buffer);
        expect(plain?.subarray(12).equals(payload), `packet ${i}`).to.equal(true);
        count++;
      }
      expect(count).to.equal(200);
      const report = Buffer.concat([hex('80c90001'), Buffer.from([0x11, 0x22, 0x33, 0x44])]);
      const srtcp = sender.protectRtcp(report) as Buffer;
      expect(receiver.unprotectRtcp(srtcp)?.equals(report)).to.equal(true);
    });
  }

  it('accepts reordered packets inside the replay window and refuses ones older than it', () => {
    const sender = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: ours, remote: theirs });
    const receiver = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: theirs, remote: ours });
    const packets = Array.from(
      { length: 300 },
      (_, seq) => sender.protectRtp(rtp(seq + 1, Buffer.alloc(20, seq))) as Buffer,
    );
    expect(receiver.unprotectRtp(packets[0] as Buffer)).to.not.equal(undefined);
    expect(receiver.unprotectRtp(packets[5] as Buffer)).to.not.equal(undefined);
    expect(receiver.unprotectRtp(packets[3] as Buffer), 'late but inside the window').to.not.equal(undefined);
    expect(receiver.unprotectRtp(packets[299] as Buffer)).to.not.equal(undefined);
    expect(receiver.unprotectRtp(packets[10] as Buffer), 'older than the window').to.equal(undefined);
  });

  it('refuses packets protected with another key', () => {
    const stranger = new SrtpSession({
      suite: 'AES_CM_128_HMAC_SHA1_80',
      local: { key: randomBytes(16), salt: randomBytes(14) },
      remote: ours,
    });
    const receiver = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: theirs, remote: ours });
    expect(receiver.unprotectRtp(stranger.protectRtp(rtp(1, Buffer.alloc(160))) as Buffer)).to.equal(undefined);
    expect(receiver.unprotectRtcp(stranger.protectRtcp(hex('80c9000111223344')) as Buffer)).to.equal(undefined);
  });

  it('never throws on garbage', () => {
    const receiver = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: theirs, remote: ours });
    for (let length = 0; length < 80; length++) {
      const junk = randomBytes(length);
      junk[0] = 0x90 | (length & 0x0f);
      expect(() => receiver.unprotectRtp(junk)).to.not.throw();
      expect(() => receiver.unprotectRtcp(junk)).to.not.throw();
    }
  });
});

describe('ReplayWindow', () => {
  it('remembers the last REPLAY_WINDOW_SIZE indices', () => {
    const window = new ReplayWindow();
    window.accept(1000);
    expect(window.check(1000)).to.equal(false);
    expect(window.check(1000 - REPLAY_WINDOW_SIZE + 1)).to.equal(true);
    expect(window.check(1000 - REPLAY_WINDOW_SIZE)).to.equal(false);
    expect(window.check(1001)).to.equal(true);
  });
});
