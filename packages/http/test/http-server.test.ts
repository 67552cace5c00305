import { expect } from 'chai';
import { HttpServer } from '../src/http-server.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';

describe('HttpServer (real HTTP on loopback)', () => {
  let server: HttpServer;
  let base: string;

  beforeEach(async () => {
    server = new HttpServer({ host: '127.0.0.1', port: 0, adminToken: ADMIN, readToken: READ });
    server.add({ method: 'GET', path: '/open', realm: 'public', handler: () => ({ json: { open: true } }) });
    server.add({ method: 'GET', path: '/things', realm: 'read', handler: () => ({ json: [1, 2] }) });
    server.add({
      method: 'POST',
      path: '/things',
      realm: 'admin',
      handler: ({ request }) => ({ status: 201, json: { got: request.body } }),
    });
    server.add({
      method: 'GET',
      path: '/broken',
      realm: 'public',
      handler: () => {
        throw new Error('a bug');
      },
    });
    const address = await server.listen();
    base = `http://127.0.0.1:${address.port}`;
  });
  afterEach(() => server.close());

  const get = (path: string, token?: string): Promise<Response> =>
    fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers public routes without a token and realm routes only with one', async () => {
    expect((await get('/open')).status).to.equal(200);
    const refused = await get('/things');
    expect(refused.status).to.equal(401);
    expect(refused.headers.get('www-authenticate')).to.equal('Bearer realm="voicebridge"');
    expect(await refused.json()).to.deep.equal({
      error: {
        code: 'VB_UNAUTHORIZED',
        message: 'missing bearer token: send Authorization: Bearer <token>',
        field: 'authorization',
      },
    });
    expect(await (await get('/things', READ)).json()).to.deep.equal([1, 2]);
  });

  it('a read-only token cannot change anything (403); the admin token can', async () => {
    const post = (token: string): Promise<Response> =>
      fetch(`${base}/things`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ a: 1 }),
      });
    const refused = await post(READ);
    expect(refused.status).to.equal(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('VB_FORBIDDEN');
    const done = await post(ADMIN);
    expect(done.status).to.equal(201);
    expect(await done.json()).to.deep.equal({ got: { a: 1 } });
  });

  it('answers every error with the one error body: unknown route 404, malformed JSON 400, a bug 500 without details', async () => {
    const missing = await get('/nothing?x=1');
    expect(missing.status).to.equal(404);
    expect(await missing.json()).to.deep.equal({ error: { code: 'VB_NOT_FOUND', message: 'no route GET /nothing' } });
    const bad = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(bad.status).to.equal(400);
    const badBody = (await bad.json()) as { error: { code: string; field: string } };
    expect(badBody.error.code).to.equal('VB_BAD_MESSAGE');
    expect(badBody.error.field).to.equal('body');
    const broken = await get('/broken');
    expect(broken.status).to.equal(500);
    expect(await broken.json()).to.deep.equal({ error: { code: 'VB_BAD_MESSAGE', message: 'internal error' } });
  });

  it('close is idempotent', async () => {
    await server.close();
    await server.close();
  });
});
