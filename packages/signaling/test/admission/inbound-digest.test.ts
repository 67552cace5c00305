import { expect } from 'chai';
import { pino } from 'pino';
import type { TrunkConfig } from '@voicebridge/protocol';
import { digestResponse, parseDigest, type SipRequest } from '@voicebridge/sip';
import { InboundDigest } from '../../src/admission/inbound-digest.ts';
import { bodilessRequest, trunkConfig } from '../fixtures.ts';

/** Digest is about credentials, so these trunks admit no source address by CIDR. */
const trunk = (overrides: Partial<TrunkConfig> = {}): TrunkConfig => trunkConfig({ sources: [], ...overrides });

function invite(authorization?: string): SipRequest {
  return bodilessRequest([
    'INVITE sip:+15550100@192.0.2.10 SIP/2.0',
    'Via: SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKabc',
    'Max-Forwards: 70',
    'From: <sip:pbx@203.0.113.9>;tag=f1',
    'To: <sip:+15550100@192.0.2.10>',
    'Call-ID: d1@203.0.113.9',
    'CSeq: 1 INVITE',
    ...(authorization ? [`Authorization: ${authorization}`] : []),
  ]);
}

function credentials(challenge: [string, string][], username: string, password: string): string {
  const params = parseDigest(challenge[0]![1])!;
  const nonce = params.get('nonce')!;
  const uri = 'sip:+15550100@192.0.2.10';
  const response = digestResponse({
    algorithm: 'SHA-256',
    username,
    realm: 'voicebridge',
    password,
    method: 'INVITE',
    uri,
    nonce,
    qop: { nc: '00000001', cnonce: 'abc' },
  });
  return `Digest username="${username}", realm="voicebridge", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="abc"`;
}

describe('InboundDigest (admission hook)', () => {
  const pbx = trunk({ name: 'pbx', auth: { username: 'pbx-user', password: 'pbx-pass' } });
  const byIp = trunk({ name: 'by-ip', sources: ['198.51.100.0/24'] });
  const directory = { trunks: [pbx, byIp], isAllowed: (address: string) => address.startsWith('10.') };
  const digest = new InboundDigest({ directory, log: pino({ level: 'silent' }) });

  it('leaves IP-authenticated trunks and SIP_ALLOWED_CIDRS sources alone', () => {
    expect(digest.check(invite(), '198.51.100.7', byIp)).to.equal(undefined);
    expect(digest.check(invite(), '10.1.2.3', undefined)).to.equal(undefined);
  });

  it('challenges an unknown source while a source-less trunk with auth exists, then identifies that trunk', () => {
    const first = digest.check(invite(), '203.0.113.9', undefined);
    expect(first?.kind).to.equal('challenge');
    const headers = first?.kind === 'challenge' ? first.headers : [];
    const second = digest.check(invite(credentials(headers, 'pbx-user', 'pbx-pass')), '203.0.113.9', undefined);
    expect(second?.kind === 'authenticated' && second.trunk.name).to.equal('pbx');
  });

  it('challenges again for a wrong password and an unknown user', () => {
    const headers = (digest.check(invite(), '203.0.113.9', undefined) as { headers: [string, string][] }).headers;
    expect(digest.check(invite(credentials(headers, 'pbx-user', 'nope')), '203.0.113.9', undefined)?.kind).to.equal(
      'challenge',
    );
    expect(digest.check(invite(credentials(headers, 'root', 'pbx-pass')), '203.0.113.9', undefined)?.kind).to.equal(
      'challenge',
    );
  });

  it("requires a source-matched trunk's own credentials, not another trunk's", () => {
    const withAuth = trunk({
      name: 'acme',
      sources: ['198.51.100.0/24'],
      auth: { username: 'acme', password: 'acme-pass' },
    });
    const headers = (digest.check(invite(), '198.51.100.7', withAuth) as { headers: [string, string][] }).headers;
    expect(digest.check(invite(credentials(headers, 'pbx-user', 'pbx-pass')), '198.51.100.7', withAuth)?.kind).to.equal(
      'challenge',
    );
    const ok = digest.check(invite(credentials(headers, 'acme', 'acme-pass')), '198.51.100.7', withAuth);
    expect(ok?.kind === 'authenticated' && ok.trunk.name).to.equal('acme');
  });
});
