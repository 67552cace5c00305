import { expect } from 'chai';
import { PASSWORD_MASK } from '@voicebridge/protocol';
import { TrunkRepository, TrunkStatusRepository } from '@voicebridge/store';
import { json, READ, useApi } from './api-fixture.ts';

const NUMBER = '+15551230001';
const path = (n: string) => `/api/v1/numbers/${encodeURIComponent(n)}`;
const scripted = { agent: { kind: 'scripted', greeting: 'Hello from the API' } };

describe('API v1 numbers and trunks (real HTTP, real Redis)', () => {
  const api = useApi();

  it('401 without a token, 403 for a write with the read-only token, and the read token reads', async () => {
    const none = await api.request('GET', '/api/v1/numbers', { token: null });
    expect(none.status).to.equal(401);
    expect((await json(none)).error).to.include({ code: 'VB_UNAUTHORIZED', field: 'authorization' });
    const write = await api.request('PUT', path(NUMBER), { token: READ, body: scripted });
    expect(write.status).to.equal(403);
    expect((await json(write)).error.code).to.equal('VB_FORBIDDEN');
    expect(await api.db.redis.exists(api.db.keys.number(NUMBER))).to.equal(0);
    expect((await api.request('GET', '/api/v1/numbers', { token: READ })).status).to.equal(200);
    expect(api.audit).to.deep.equal([]);
  });

  it('400 naming the field: a path that is no E.164 number, and a body field the schema refuses', async () => {
    const badNumber = await api.request('PUT', path('555-1234'), { body: scripted });
    expect(badNumber.status).to.equal(400);
    const body = await json(badNumber);
    expect(body.error).to.include({ code: 'VB_CONFIG_INVALID', field: 'e164' });
    expect(body.error.message).to.match(/^e164: "555-1234" is not an E\.164 number/);

    const badField = await api.request('PUT', path(NUMBER), { body: { ...scripted, maxCallDurationS: -5 } });
    expect(badField.status).to.equal(400);
    const refusal = (await json(badField)).error;
    expect(refusal.field).to.equal('maxCallDurationS');
    expect(refusal.message).to.match(/^maxCallDurationS: /);

    const notObject = await api.request('PUT', path(NUMBER), { body: [1, 2] });
    expect((await json(notObject)).error.field).to.equal('body');
    expect(api.audit).to.deep.equal([]);
  });

  it('refuses a key variable off AGENT_SECRET_ENV as numbers set does, naming the field', async () => {
    const response = await api.request('PUT', path(NUMBER), {
      body: { agent: { kind: 'llm', llm: { baseUrl: 'https://api.example.com/v1', model: 'm', apiKeyEnv: 'HOME' } } },
    });
    expect(response.status).to.equal(400);
    expect((await json(response)).error.field).to.equal('agent.llm.apiKeyEnv');
  });

  it('PUT creates (201), GET reads, PATCH merges, DELETE removes: one audit line each with versions', async () => {
    const created = await api.request('PUT', path(NUMBER), { body: scripted });
    expect(created.status).to.equal(201);
    expect((await json(created)).configVersion).to.equal(1);
    const read = await json(await api.request('GET', path(NUMBER), { token: READ }));
    expect(read.agent.greeting).to.equal('Hello from the API');

    const patched = await api.request('PATCH', path(NUMBER), {
      body: { maxCallDurationS: 120, agent: { greeting: 'Changed' } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(patched.status).to.equal(200);
    const after = await json(patched);
    expect(after).to.include({ configVersion: 2, maxCallDurationS: 120 });
    expect(after.agent.greeting).to.equal('Changed');

    // A GET sent back whole (managed fields and all) is a valid PUT.
    expect((await api.request('PUT', path(NUMBER), { body: after })).status).to.equal(200);
    expect((await api.request('GET', '/api/v1/numbers')).status).to.equal(200);
    expect((await api.request('DELETE', path(NUMBER))).status).to.equal(204);
    expect((await api.request('GET', path(NUMBER))).status).to.equal(404);
    expect((await api.request('DELETE', path(NUMBER))).status).to.equal(404);
    expect(
      api.audit.map(({ action, target, fromVersion, toVersion }) => [action, target, fromVersion, toVersion]),
    ).to.deep.equal([
      ['number.put', NUMBER, 0, 1],
      ['number.patch', NUMBER, 1, 2],
      ['number.put', NUMBER, 2, 3],
      ['number.delete', NUMBER, 3, 0],
    ]);
    expect(api.audit.every((e) => e.token === 'admin' && e.source === '127.0.0.1')).to.equal(true);
  });

  it('trunk passwords are write-only: masked in every answer, kept when the mask is sent back', async () => {
    const trunk = { sources: ['203.0.113.0/24'], auth: { username: 'carrier', password: 's3cret-pass' } };
    const created = await api.request('PUT', '/api/v1/trunks/carrier-a', { body: trunk });
    expect(created.status).to.equal(201);
    const shown = await json(created);
    expect(shown.auth.password).to.equal(PASSWORD_MASK);
    const listed = await (await api.request('GET', '/api/v1/trunks', { token: READ })).text();
    expect(listed).to.not.include('s3cret-pass');
    const patched = await api.request('PATCH', '/api/v1/trunks/carrier-a', { body: { ...shown, maxCalls: 5 } });
    expect(patched.status).to.equal(200);
    const stored = await new TrunkRepository(api.db.redis, api.db.keys).get('carrier-a');
    expect(stored?.auth?.password).to.equal('s3cret-pass');
    expect(stored?.maxCalls).to.equal(5);
    const bad = await api.request('PUT', '/api/v1/trunks/carrier-a', { body: { sources: ['not-a-cidr'] } });
    expect(bad.status).to.equal(400);
    expect((await json(bad)).error.field).to.equal('sources[0]');
    const badName = await api.request('GET', '/api/v1/trunks/-bad');
    expect((await json(badName)).error.field).to.equal('name');
    expect(api.audit.map((e) => e.action)).to.deep.equal(['trunk.put', 'trunk.patch']);
  });

  it("the trunk list carries each trunk's registration as signaling last wrote it, beside the configs", async () => {
    for (const name of ['carrier-a', 'carrier-b']) {
      expect(
        (await api.request('PUT', `/api/v1/trunks/${name}`, { body: { sources: ['203.0.113.0/24'] } })).status,
      ).to.equal(201);
    }
    const status = {
      state: 'failed',
      registrar: 'sip:reg.example',
      lastError: '403 Forbidden',
      failures: 2,
      updatedAtMs: 1,
    } as const;
    await new TrunkStatusRepository(api.db.redis, api.db.keys).set('carrier-a', status);
    const listed = await json(await api.request('GET', '/api/v1/trunks', { token: READ }));
    expect(listed.trunks.map((t: { name: string }) => t.name)).to.have.members(['carrier-a', 'carrier-b']);
    expect(listed.registration).to.deep.equal({ 'carrier-a': status });
  });
});
