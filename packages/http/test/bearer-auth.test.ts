import { expect } from 'chai';
import { BearerAuth } from '../src/bearer-auth.ts';
import { HttpError } from '../src/http-errors.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof HttpError) return `${error.code}${error.field ? `:${error.field}` : ''}`;
    throw error;
  }
}

describe('BearerAuth', () => {
  it('opens public routes to anyone, read routes to either token, admin routes to the admin token only', () => {
    const auth = new BearerAuth({ adminToken: ADMIN, readToken: READ });
    expect(codeOf(() => auth.check('public', undefined, '127.0.0.1'))).to.equal(undefined);
    expect(codeOf(() => auth.check('read', `Bearer ${READ}`, '127.0.0.1'))).to.equal(undefined);
    expect(codeOf(() => auth.check('read', `Bearer ${ADMIN}`, '127.0.0.1'))).to.equal(undefined);
    expect(codeOf(() => auth.check('admin', `Bearer ${ADMIN}`, '127.0.0.1'))).to.equal(undefined);
    expect(codeOf(() => auth.check('admin', `Bearer ${READ}`, '127.0.0.1'))).to.equal('VB_FORBIDDEN');
  });

  it('refuses a missing, malformed or wrong token naming the Authorization header', () => {
    const auth = new BearerAuth({ adminToken: ADMIN });
    for (const header of [undefined, '', ADMIN, `Basic ${ADMIN}`, `Bearer ${ADMIN}x`, `Bearer ${ADMIN.slice(1)}`]) {
      expect(
        codeOf(() => auth.check('read', header, '127.0.0.1')),
        String(header),
      ).to.equal('VB_UNAUTHORIZED:authorization');
    }
  });

  it('with no token configured, nothing but public routes opens', () => {
    const auth = new BearerAuth({});
    expect(codeOf(() => auth.check('read', 'Bearer anything-at-all-long-enough', '127.0.0.1'))).to.equal(
      'VB_UNAUTHORIZED:authorization',
    );
  });

  it('after 10 failures in a minute a source is refused with 429 even with the right token, others are not; the window ends', () => {
    let now = 1_000_000;
    const auth = new BearerAuth({ adminToken: ADMIN, nowMs: () => now });
    for (let i = 0; i < 10; i++)
      expect(codeOf(() => auth.check('admin', 'Bearer wrong', '192.0.2.1'))).to.match(/^VB_UNAUTHORIZED/);
    expect(codeOf(() => auth.check('admin', `Bearer ${ADMIN}`, '192.0.2.1'))).to.equal('VB_RATE_LIMITED');
    expect(codeOf(() => auth.check('admin', `Bearer ${ADMIN}`, '192.0.2.2'))).to.equal(undefined);
    now += 60_000;
    expect(codeOf(() => auth.check('admin', `Bearer ${ADMIN}`, '192.0.2.1'))).to.equal(undefined);
  });

  it('remembers at most maxSources failing sources, forgetting the oldest', () => {
    const auth = new BearerAuth({ adminToken: ADMIN, maxFailures: 1, maxSources: 2 });
    for (const source of ['a', 'b', 'c']) codeOf(() => auth.check('admin', 'Bearer wrong', source));
    expect(codeOf(() => auth.check('admin', `Bearer ${ADMIN}`, 'a'))).to.equal(undefined);
    expect(codeOf(() => auth.check('admin', `Bearer ${ADMIN}`, 'c'))).to.equal('VB_RATE_LIMITED');
  });
});
