import { expect } from 'chai';
import { DigestAuthenticator, digestResponse, parseDigest, SipHeaders, type DigestAccount } from '../../src/index.ts';

// RFC 7616 §3.9.1: the worked example, for both algorithms.
const RFC7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  qop: { nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' },
};

describe('digest credentials (RFC 7616, RFC 8760)', () => {
  it('computes the RFC 7616 §3.9.1 responses for MD5 and SHA-256', () => {
    expect(digestResponse({ ...RFC7616, algorithm: 'MD5' })).to.equal('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ ...RFC7616, algorithm: 'SHA-256' })).to.equal(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('reads quoted, unquoted and escaped parameters and refuses malformed or duplicated ones', () => {
    const params = parseDigest(
      'Digest username="a\\"b", realm="r", nonce="n", uri="sip:x@y", response="abc", qop=auth, nc=00000001, algorithm=MD5',
    );
    expect(params?.get('username')).to.equal('a"b');
    expect(params?.get('qop')).to.equal('auth');
    expect(parseDigest('Basic dXNlcjpwYXNz')).to.equal(undefined);
    expect(parseDigest('Digest username="a", username="b"')).to.equal(undefined);
    expect(parseDigest('Digest username="unterminated')).to.equal(undefined);
    expect(parseDigest(`Digest ${'a=b, '.repeat(2000)}`)).to.equal(undefined);
  });
});

function headers(...lines: [string, string][]): SipHeaders {
  const h = new SipHeaders();
  for (const [name, value] of lines) h.append(name, value);
  return h;
}

/** A client answering a challenge as a UA would (RFC 7616 §3.4). */
function answer(
  challenge: [string, string][],
  account: DigestAccount,
  options: { algorithm?: 'MD5' | 'SHA-256'; nc?: string; method?: string } = {},
): SipHeaders {
  const algorithm = options.algorithm ?? 'SHA-256';
  const line = challenge.find(([, v]) => v.includes(`algorithm=${algorithm}`))?.[1] ?? '';
  const params = parseDigest(line)!;
  const nonce = params.get('nonce')!;
  const realm = params.get('realm')!;
  const uri = 'sip:+15550100@127.0.0.1';
  const nc = options.nc ?? '00000001';
  const response = digestResponse({
    algorithm,
    username: account.username,
    realm,
    password: account.password,
    method: options.method ?? 'INVITE',
    uri,
    nonce,
    qop: { nc, cnonce: 'c0ffee' },
  });
  return headers([
    'Authorization',
    `Digest username="${account.username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="c0ffee"`,
  ]);
}

describe('DigestAuthenticator', () => {
  const accounts = new Map<string, DigestAccount & { trunk: string }>([
    ['carrier', { username: 'carrier', password: 's3cret!', trunk: 'acme' }],
  ]);
  const lookup = (username: string) => accounts.get(username);

  it('challenges with SHA-256 first and MD5 second, qop="auth", one nonce', () => {
    const auth = new DigestAuthenticator({ realm: 'voicebridge', nonceLifetimeMs: 60_000 });
    const challenge = auth.challenge();
    expect(challenge.map(([name]) => name)).to.deep.equal(['WWW-Authenticate', 'WWW-Authenticate']);
    expect(challenge[0]?.[1]).to.match(
      /^Digest realm="voicebridge", nonce="[A-Za-z0-9_-]+", algorithm=SHA-256, qop="auth"$/,
    );
    expect(challenge[1]?.[1]).to.include('algorithm=MD5');
    expect(parseDigest(challenge[0]![1])?.get('nonce')).to.equal(parseDigest(challenge[1]![1])?.get('nonce'));
  });

  for (const algorithm of ['SHA-256', 'MD5'] as const) {
    it(`accepts the right password with ${algorithm} and names the account`, () => {
      const auth = new DigestAuthenticator({ realm: 'voicebridge', nonceLifetimeMs: 60_000 });
      const outcome = auth.verify(
        'INVITE',
        answer(auth.challenge(), { username: 'carrier', password: 's3cret!' }, { algorithm }),
        lookup,
      );
      expect(outcome.ok && outcome.account.trunk).to.equal('acme');
    });
  }

  it('answers a wrong password and an unknown user alike: a fresh challenge, no stale flag', () => {
    const auth = new DigestAuthenticator({ realm: 'voicebridge', nonceLifetimeMs: 60_000 });
    const wrong = auth.verify('INVITE', answer(auth.challenge(), { username: 'carrier', password: 'guess' }), lookup);
    const unknown = auth.verify('INVITE', answer(auth.challenge(), { username: 'admin', password: 'admin' }), lookup);
    expect(wrong.ok || wrong.failure).to.equal('wrong-password');
    expect(unknown.ok || unknown.failure).to.equal('unknown-user');
    const shape = (o: typeof wrong) =>
      o.ok ? [] : o.challenge.map(([n, v]) => [n, v.replace(/nonce="[^"]+"/, 'nonce=""')]);
    expect(shape(wrong)).to.deep.equal(shape(unknown));
    expect(shape(wrong).join()).to.not.include('stale');
  });

  it('refuses missing, malformed, foreign-nonce, wrong-method and replayed credentials', () => {
    const auth = new DigestAuthenticator({ realm: 'voicebridge', nonceLifetimeMs: 60_000 });
    const other = new DigestAuthenticator({ realm: 'voicebridge', nonceLifetimeMs: 60_000 });
    const account = { username: 'carrier', password: 's3cret!' };
    const failure = (h: SipHeaders, method = 'INVITE') => {
      const o = auth.verify(method, h, lookup);
      return o.ok ? 'ok' : o.failure;
    };
    expect(failure(headers())).to.equal('missing');
    expect(failure(headers(['Authorization', 'Digest garbage']))).to.equal('malformed');
    expect(failure(answer(other.challenge(), account))).to.equal('bad-nonce');
    expect(failure(answer(auth.challenge(), account), 'BYE')).to.equal('wrong-password');
    const good = answer(auth.challenge(), account);
    expect(failure(good)).to.equal('ok');
    expect(failure(good), 'the same nonce count again').to.equal('replayed');
  });

  it('says stale=true for the right password on an expired nonce, and still refuses a wrong one plainly', () => {
    let now = 1_000_000;
    const auth = new DigestAuthenticator({ realm: 'voicebridge', nonceLifetimeMs: 30_000, now: () => now });
    const challenge = auth.challenge();
    now += 31_000;
    const stale = auth.verify('INVITE', answer(challenge, { username: 'carrier', password: 's3cret!' }), lookup);
    expect(stale.ok || stale.failure).to.equal('stale-nonce');
    expect(stale.ok ? '' : stale.challenge[0]?.[1]).to.include('stale=true');
    const wrong = auth.verify('INVITE', answer(challenge, { username: 'carrier', password: 'nope' }), lookup);
    expect(wrong.ok ? '' : wrong.challenge[0]?.[1]).to.not.include('stale');
  });
});
