import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { newCallId, NodeCommandSchema, type CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository } from '@voicebridge/store';
import { connectTestRedis } from '../../store/test/redis-fixture.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import { json, READ, useApi } from './api-fixture.ts';

function record(invitedAtMs: number, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    version: 1,
    callId: newCallId(invitedAtMs),
    sipCallId: `${Math.random().toString(36).slice(2)}@198.51.100.7`,
    from: 'sip:+15557654321@198.51.100.7',
    to: 'sip:+15551230001@bridge.example',
    number: '+15551230001',
    status: 'answered',
    invitedAtMs,
    answeredAtMs: invitedAtMs + 500,
    transcript: [{ speaker: 'agent', text: 'Hello', atMs: 10 }],
    ...overrides,
  };
}

describe('API v1 calls (real HTTP, real Redis)', () => {
  const api = useApi();
  const now = Date.now();
  let calls: CallRecordRepository;
  beforeEach(() => {
    calls = new CallRecordRepository(api.db.redis, api.db.keys);
  });

  it('a filtered query returns the matching calls only, pages by cursor, and names a bad parameter', async () => {
    const a = record(now - 3000, {
      trunk: 'carrier-a',
      status: 'ended',
      endedAtMs: now - 1000,
      verdict: { by: 'caller', reason: 'caller-bye' },
    });
    const b = record(now - 2000, { number: '+15551230002' });
    const c = record(now - 1000, { from: 'sip:+15550000009@203.0.113.5' });
    for (const r of [a, b, c]) await calls.create(r);
    const ids = async (query: string): Promise<string[]> => {
      const response = await api.request('GET', `/api/v1/calls?${query}`, { token: READ });
      expect(response.status, query).to.equal(200);
      return ((await json(response)).calls as { callId: string }[]).map((x) => x.callId);
    };
    expect(await ids('number=%2B15551230001')).to.deep.equal([c.callId, a.callId]);
    expect(await ids('from=%2B15550000009')).to.deep.equal([c.callId]);
    expect(await ids('trunk=carrier-a&verdict=caller-bye')).to.deep.equal([a.callId]);
    expect(await ids('live=true')).to.deep.equal([c.callId, b.callId]);
    expect(await ids('direction=inbound&number=%2B15551230002')).to.deep.equal([b.callId]);
    expect(await ids(`since=${now - 2500}&until=${new Date(now - 1500).toISOString()}`)).to.deep.equal([b.callId]);

    const first = await json(await api.request('GET', '/api/v1/calls?limit=2'));
    expect(first.calls.map((x: CallRecord) => x.callId)).to.deep.equal([c.callId, b.callId]);
    expect(first.calls[0]).to.not.have.property('transcript');
    const second = await json(await api.request('GET', `/api/v1/calls?limit=2&cursor=${first.nextCursor}`));
    expect(second.calls.map((x: CallRecord) => x.callId)).to.deep.equal([a.callId]);
    expect(second).to.not.have.property('nextCursor');

    for (const [query, field] of [
      ['number=555', 'number'],
      ['verdict=bored', 'verdict'],
      ['limit=0', 'limit'],
      ['since=yesterday', 'since'],
      ['cursor=x', 'cursor'],
      ['colour=red', 'colour'],
      [`since=${now}&until=${now - 1}`, 'until'],
    ]) {
      const response = await api.request('GET', `/api/v1/calls?${query}`);
      expect(response.status, query).to.equal(400);
      const error = (await json(response)).error;
      expect(error.field, query).to.equal(field);
    }
  });

  it('GET one call gives record, transcript, turns, media stats and usage; a bad id is 400, an unknown one 404', async () => {
    const r = record(now - 10_000, {
      status: 'ended',
      endedAtMs: now - 4000,
      turns: [{ turn: 1, sttFinalAtMs: 900, answerAtMs: 1100, interruptions: 0 }],
      media: { packetsSent: 10, packetsReceived: 9, packetsLost: 1, jitterMs: 2, longestGapMs: 40 },
    });
    await calls.create(r);
    const body = await json(await api.request('GET', `/api/v1/calls/${r.callId}`, { token: READ }));
    expect(body.call.callId).to.equal(r.callId);
    expect(body.transcript).to.deep.equal(r.transcript);
    expect(body.turns).to.have.length(1);
    expect(body.media.packetsLost).to.equal(1);
    expect(body.usage).to.deep.equal({ ringMs: 500, talkMs: 5500, turns: 1, transcriptEntries: 1, recordingMs: 0 });
    const bad = await api.request('GET', '/api/v1/calls/..%2F..%2Fetc');
    expect(bad.status).to.equal(400);
    expect((await json(bad)).error.field).to.equal('id');
    expect((await api.request('GET', `/api/v1/calls/${newCallId()}`)).status).to.equal(404);
  });

  it('serves the recording with byte ranges, only with a token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vb-api-rec-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    const file = join(dir, 'call.wav');
    writeFileSync(file, bytes);
    const r = record(now, {
      status: 'ended',
      endedAtMs: now + 2000,
      media: {
        packetsSent: 0,
        packetsReceived: 0,
        packetsLost: 0,
        jitterMs: 0,
        longestGapMs: 0,
        recording: { path: file, durationMs: 2000 },
      },
    });
    await calls.create(r);
    const url = `/api/v1/calls/${r.callId}/recording`;
    expect((await api.request('GET', url, { token: null })).status).to.equal(401);
    const whole = await api.request('GET', url, { token: READ });
    expect(whole.status).to.equal(200);
    expect(whole.headers.get('content-type')).to.equal('audio/wav');
    expect(whole.headers.get('accept-ranges')).to.equal('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).to.equal(true);
    const part = await api.request('GET', url, { headers: { range: 'bytes=100-199' } });
    expect(part.status).to.equal(206);
    expect(part.headers.get('content-range')).to.equal('bytes 100-199/1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).to.equal(true);
    const tail = await api.request('GET', url, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(990))).to.equal(true);
    const beyond = await api.request('GET', url, { headers: { range: 'bytes=5000-' } });
    expect(beyond.status).to.equal(416);
    expect(beyond.headers.get('content-range')).to.equal('bytes */1000');
    expect((await json(beyond)).error.field).to.equal('range');
    const none = record(now);
    await calls.create(none);
    expect((await api.request('GET', `/api/v1/calls/${none.callId}/recording`)).status).to.equal(404);
  });

  it('hang-up publishes to the owning node; 403 read-only, 409 for an ended call, 503 when no node listens', async () => {
    const live = record(now, { nodeId: '127.0.0.1:5060@host-1' });
    const ended = record(now - 1, { status: 'ended', endedAtMs: now, verdict: { by: 'caller', reason: 'caller-bye' } });
    await calls.create(live);
    await calls.create(ended);
    const url = (id: string) => `/api/v1/calls/${id}/hangup`;
    expect((await api.request('POST', url(live.callId), { token: READ })).status).to.equal(403);
    expect((await api.request('POST', url(ended.callId))).status).to.equal(409);
    const unheard = await api.request('POST', url(live.callId));
    expect(unheard.status).to.equal(503);
    expect((await json(unheard)).error.code).to.equal('VB_NODE_UNREACHABLE');

    const subscriber = connectTestRedis();
    after(() => subscriber.quit());
    const received: unknown[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(JSON.parse(message)));
    await subscriber.subscribe(api.db.keys.nodeCommands('127.0.0.1:5060@host-1'));
    const accepted = await api.request('POST', url(live.callId));
    expect(accepted.status).to.equal(202);
    const [command] = await waitFor('the hang-up command', 5000, () => (received.length > 0 ? received : undefined));
    expect(NodeCommandSchema.parse(command)).to.deep.equal({ command: 'hangup', callId: live.callId });
  });

  it('serves an OpenAPI 3.1 document without a token that a real validator accepts', async () => {
    const response = await api.request('GET', '/api/v1/openapi.json', { token: null });
    expect(response.status).to.equal(200);
    const document = await json(response);
    expect(document.openapi).to.equal('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    // The validator does refuse a broken document: the check above can fail.
    const { info: _info, ...broken } = document;
    expect((await new Validator().validate(broken)).valid).to.equal(false);
    expect(Object.keys(document.paths)).to.include.members([
      '/api/v1/numbers/{e164}',
      '/api/v1/trunks/{name}',
      '/api/v1/calls',
      '/api/v1/calls/{id}/hangup',
    ]);
    expect(document.paths['/api/v1/calls/{id}'].get.responses['200'].content['application/json'].schema).to.deep.equal({
      $ref: '#/components/schemas/CallDetail',
    });
    expect(Object.keys(document.paths['/api/v1/calls'].post.responses)).to.include.members(['202', '422']);
    expect(document.paths['/api/v1/calls'].post.requestBody.content['application/json'].schema.required).to.deep.equal([
      'to',
      'trunk',
      'number',
    ]);
    const params = document.paths['/api/v1/calls'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).to.include.members([
      'number',
      'from',
      'trunk',
      'verdict',
      'direction',
      'since',
      'until',
      'live',
      'cursor',
    ]);
  });
});
