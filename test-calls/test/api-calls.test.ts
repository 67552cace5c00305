import { expect } from 'chai';
import type { CallRecord } from '@voicebridge/protocol';
import { waitFor } from '../../test/support/wait-for.ts';
import { useBridge } from '../src/bridge-fixture.ts';
import { assertBridgeIdle, describeRun, runSipp } from '../src/sipp.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const FIRST = '+15551234567';
const SECOND = '+15551234568';

/**
 * API v1 on the real bridge (`voicebridge start`): numbers configured through it, real SIPp calls
 * found by its filters, and hung up through it (BYE to the caller, verdict operator-hangup).
 */
describe('API v1 on the running bridge with real SIPp calls', function () {
  this.timeout(120_000);
  const bridge = useBridge({ env: { ADMIN_TOKEN: ADMIN, READ_TOKEN: READ } });
  const api = (method: string, path: string, token: string | null, body?: unknown): Promise<Response> =>
    fetch(`http://127.0.0.1:${bridge().httpPort}${path}`, {
      method,
      headers: {
        ...(token !== null && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const listed = async (query: string): Promise<CallRecord[]> => {
    const response = await api('GET', `/api/v1/calls?${query}`, READ);
    expect(response.status, query).to.equal(200);
    return ((await response.json()) as { calls: CallRecord[] }).calls;
  };

  it('401 without a token, 403 for a write with the read token, 400 naming the field for a bad number', async () => {
    const scripted = { agent: { kind: 'scripted', greeting: 'Hello' } };
    expect((await api('PUT', `/api/v1/numbers/${encodeURIComponent(FIRST)}`, null, scripted)).status).to.equal(401);
    expect((await api('PUT', `/api/v1/numbers/${encodeURIComponent(FIRST)}`, READ, scripted)).status).to.equal(403);
    const bad = await api('PUT', '/api/v1/numbers/12345', ADMIN, scripted);
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).to.equal('e164');
    const openapi = await api('GET', '/api/v1/openapi.json', null);
    expect(((await openapi.json()) as { openapi: string }).openapi).to.equal('3.1.0');
  });

  it('a filtered query returns the live test call and only it; hang-up via the API ends it with BYE and operator-hangup', async () => {
    for (const number of [FIRST, SECOND]) {
      const created = await api('PUT', `/api/v1/numbers/${encodeURIComponent(number)}`, ADMIN, {
        agent: { kind: 'scripted', greeting: 'Hello from the API test' },
      });
      expect(created.status, number).to.equal(201);
    }
    const audit = bridge().logs.filter((l) => l.includes('"config changed"'));
    expect(audit.length).to.be.at.least(2);
    expect(audit[0]).to.include('"action":"number.put"');

    const target = `127.0.0.1:${bridge().sipPort}`;
    const first = runSipp({ scenario: 'uac-wait-bye.xml', target, service: FIRST, timeoutMs: 60_000 });
    const second = runSipp({ scenario: 'uac-wait-bye.xml', target, service: SECOND, timeoutMs: 60_000 });
    const live = await waitFor('both calls answered, listed live', 30_000, async () => {
      const calls = await listed('live=true');
      return calls.length === 2 && calls.every((c) => c.status === 'answered') ? calls : undefined;
    });
    const mine = await listed(`number=${encodeURIComponent(FIRST)}&live=true`);
    expect(mine.map((c) => c.number)).to.deep.equal([FIRST]);
    const firstCall = mine[0] as CallRecord;
    expect(live.map((c) => c.callId)).to.include(firstCall.callId);
    expect(await listed(`number=${encodeURIComponent(FIRST)}&verdict=caller-bye`)).to.deep.equal([]);
    expect((await listed('from=sipp')).map((c) => c.callId)).to.have.members(live.map((c) => c.callId));

    const secondCall = live.find((c) => c.callId !== firstCall.callId) as CallRecord;
    expect((await api('POST', `/api/v1/calls/${secondCall.callId}/hangup`, READ)).status).to.equal(403);
    const accepted = await api('POST', `/api/v1/calls/${firstCall.callId}/hangup`, ADMIN);
    expect(accepted.status).to.equal(202);
    const firstRun = await first;
    expect(firstRun.code, describeRun(firstRun)).to.equal(0);
    const bye = firstRun.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('BYE '));
    expect(bye, 'SIPp received our BYE').to.not.equal(undefined);

    const ended = await waitFor('the first call ended', 5000, async () => {
      const response = await api('GET', `/api/v1/calls/${firstCall.callId}`, READ);
      const body = (await response.json()) as { call: CallRecord };
      return body.call.status === 'ended' ? body.call : undefined;
    });
    expect(ended.verdict).to.deep.include({ by: 'bridge', reason: 'operator-hangup' });
    expect((await api('POST', `/api/v1/calls/${firstCall.callId}/hangup`, ADMIN)).status).to.equal(409);

    // The second call is still up, untouched by the first's hang-up.
    expect((await listed('live=true')).map((c) => c.callId)).to.deep.equal([secondCall.callId]);
    expect((await api('POST', `/api/v1/calls/${secondCall.callId}/hangup`, ADMIN)).status).to.equal(202);
    const secondRun = await second;
    expect(secondRun.code, describeRun(secondRun)).to.equal(0);
    await waitFor('both calls listed with verdict operator-hangup', 5000, async () => {
      const hungUp = await listed('verdict=operator-hangup');
      return hungUp.length === 2;
    });

    const exported = await bridge().cli(['calls', 'export', '--since', new Date(Date.now() - 600_000).toISOString()]);
    expect(exported.code, exported.stderr).to.equal(0);
    const lines = exported.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as CallRecord);
    expect(lines.map((r) => r.callId)).to.have.members([firstCall.callId, secondCall.callId]);
    expect(lines.every((r) => r.verdict?.reason === 'operator-hangup')).to.equal(true);
    await assertBridgeIdle(bridge());
  });
});
