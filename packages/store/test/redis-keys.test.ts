import { expect } from 'chai';
import { VoicebridgeError } from '@voicebridge/protocol';
import { RedisKeys } from '../src/index.ts';

describe('RedisKeys', () => {
  const keys = new RedisKeys('vb');

  it('builds every key under the prefix, and pattern() matches them all', () => {
    expect(keys.prefix).to.equal('vb');
    expect(keys.pattern()).to.equal('vb:*');
    for (const key of [
      keys.number('+15551230001'),
      keys.numbersIndex(),
      keys.call('c1abc'),
      keys.callTranscript('c1abc'),
      keys.callBySipCallId('a@b'),
      keys.recentCalls(),
      keys.liveCalls(),
    ]) {
      expect(key.startsWith('vb:')).to.equal(true, key);
    }
    expect(keys.number('+15551230001')).to.equal('vb:number:+15551230001');
    expect(keys.call('c1abc')).to.not.equal(keys.callTranscript('c1abc'));
  });

  it('keys a SIP Call-ID by its sha256, never by the raw peer-controlled value', () => {
    const raw = 'a84b4c76e66710@pc33.atlanta.com*[x]';
    const key = keys.callBySipCallId(raw);
    expect(key).to.match(/^vb:sipcall:[0-9a-f]{64}$/);
    expect(key).to.not.include('atlanta');
    expect(keys.callBySipCallId(raw)).to.equal(key);
    expect(keys.callBySipCallId(`${raw} `)).to.not.equal(key);
  });

  it('refuses prefixes that would make pattern() match other keys', () => {
    for (const bad of ['', 'vb*', 'v?b', 'vb[1]', 'with space', 'x'.repeat(65)]) {
      expect(() => new RedisKeys(bad), bad).to.throw(VoicebridgeError, /prefix/);
    }
    expect(new RedisKeys('vbtest:ab12').pattern()).to.equal('vbtest:ab12:*');
  });

  it('refuses a number that is not E.164 and a call id that is not key-safe', () => {
    expect(() => keys.number('5551230001')).to.throw(VoicebridgeError, /E\.164/);
    expect(() => keys.call('a b')).to.throw(VoicebridgeError, /call id/);
    expect(() => keys.callTranscript('x:y')).to.throw(VoicebridgeError, /call id/);
  });
});
