import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { VoicebridgeError } from '@voicebridge/protocol';
import { parseSecrets, signatureHeader, signedHeaders, verificationProblem } from '../src/index.ts';

// The published vector of the Standard Webhooks reference libraries ("sign function works"):
// https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/javascript/src/webhook.test.ts
// Scheme: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestampS: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const secretOf = (bytes: number): string => `whsec_${randomBytes(bytes).toString('base64')}`;

describe('Standard Webhooks signatures', () => {
  it('signs the published test vector to the published signature', () => {
    const keys = parseSecrets(VECTOR.secret, 'VB_SECRET_HOOKS');
    expect(signatureHeader(keys, VECTOR.id, VECTOR.timestampS, VECTOR.body)).to.equal(VECTOR.signature);
  });

  it('signs with both secrets while rotating, space-delimited, and either verifies', () => {
    const [current, previous] = [secretOf(32), secretOf(24)];
    const keys = parseSecrets(`${current}  ${previous}`, 'VB_SECRET_HOOKS');
    const nowS = 1_800_000_000;
    const headers = signedHeaders(keys, 'evt_abc', nowS, '{"a":1}');
    expect(headers['webhook-signature'].split(' ')).to.have.length(2);
    for (const key of keys) expect(verificationProblem(key, headers, '{"a":1}', nowS)).to.equal(undefined);
    const other = parseSecrets(secretOf(32), 'X')[0] as Buffer;
    expect(verificationProblem(other, headers, '{"a":1}', nowS)).to.equal('no signature matches');
  });

  it('a verifier refuses a changed body, and a timestamp outside 5 minutes either way', () => {
    const [key] = parseSecrets(secretOf(32), 'V') as [Buffer];
    const headers = signedHeaders([key], 'evt_abc', 1_800_000_000, '{"a":1}');
    expect(verificationProblem(key, headers, '{"a":2}', 1_800_000_000)).to.equal('no signature matches');
    expect(verificationProblem(key, headers, '{"a":1}', 1_800_000_000 + 301)).to.equal(
      'timestamp outside the tolerance',
    );
    expect(verificationProblem(key, headers, '{"a":1}', 1_800_000_000 - 301)).to.equal(
      'timestamp outside the tolerance',
    );
    expect(verificationProblem(key, headers, '{"a":1}', 1_800_000_000 + 300)).to.equal(undefined);
  });

  it('refuses malformed secrets naming the variable, never quoting the value', () => {
    const cases: [string, string][] = [
      ['', 'VB_SECRET_HOOKS is empty'],
      ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'must start with whsec_'],
      ['whsec_not*base64!', 'is not base64'],
      [`whsec_${randomBytes(8).toString('base64')}`, 'is 8 bytes; must be 24 to 64'],
      [`${secretOf(32)} ${secretOf(32)} ${secretOf(32)}`, 'holds 3 secrets; at most 2'],
      [`${secretOf(32)} nope`, 'VB_SECRET_HOOKS (secret 2) must start with whsec_'],
    ];
    for (const [value, message] of cases) {
      let caught: unknown;
      try {
        parseSecrets(value, 'VB_SECRET_HOOKS');
      } catch (error) {
        caught = error;
      }
      expect(caught, value).to.be.instanceOf(VoicebridgeError);
      expect((caught as Error).message, value).to.include(message);
      if (value !== '') expect((caught as Error).message).to.not.include(value.split(' ')[0]?.slice(6, 20));
    }
  });
});
