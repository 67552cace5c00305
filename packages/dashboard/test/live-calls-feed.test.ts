import { expect } from 'chai';
import { HttpServer } from '@voicebridge/http';
import { newCallId, type CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository } from '@voicebridge/store';
import { useTestRedis } from '../../store/test/redis-fixture.ts';
import { waitFor, withTimeout } from '../../../test/support/wait-for.ts';
import { addLiveCallsRoute, LiveCallsFeed } from '../src/index.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';

function record(overrides: Partial<CallRecord> = {}): CallRecord {
  const invitedAtMs = Date.now() - 1000;
  return {
    version: 1,
    callId: newCallId(invitedAtMs),
    sipCallId: `${Math.random().toString(36).slice(2)}@198.51.100.7`,
    from: 'sip:+15557654321@198.51.100.7',
    fromName: '<img src=x onerror=alert(1)>',
    to: 'sip:+15551230001@bridge.example',
    number: '+15551230001',
    status: 'answered',
    invitedAtMs,
    answeredAtMs: invitedAtMs + 200,
    transcript: [{ speaker: 'caller', text: 'secret words', atMs: 10 }],
    ...overrides,
  };
}

/** Reads `event: calls` blocks off a text/event-stream response. */
function eventReader(response: Response): () => Promise<{ calls: Record<string, unknown>[] } | 'end'> {
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return async () => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^event: calls\ndata: (.*)$/m.exec(block);
        if (data?.[1]) return JSON.parse(data[1]) as { calls: Record<string, unknown>[] };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return 'end';
      buffer += value;
    }
  };
}

describe('GET /api/v1/live (server-sent events, real HTTP, real Redis)', () => {
  const db = useTestRedis();
  let server: HttpServer;
  let feed: LiveCallsFeed;
  let calls: CallRecordRepository;
  let base: string;
  const aborts: AbortController[] = [];
  beforeEach(async () => {
    calls = new CallRecordRepository(db.redis, db.keys);
    feed = new LiveCallsFeed({ records: calls, intervalMs: 100, maxSubscribers: 2 });
    server = new HttpServer({ host: '127.0.0.1', port: 0, adminToken: ADMIN, readToken: READ });
    addLiveCallsRoute(server, feed);
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  afterEach(async () => {
    for (const a of aborts.splice(0)) a.abort();
    feed.close();
    await server.close();
  });
  const open = (token: string | null): Promise<Response> => {
    const abort = new AbortController();
    aborts.push(abort);
    return fetch(`${base}/api/v1/live`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
  };

  it('pushes the live calls on connect and again when one ends; summaries carry no transcript', async () => {
    const up = record();
    const ringing = record({ status: 'ringing', answeredAtMs: undefined, fromName: undefined });
    const over = record({ status: 'ended', endedAtMs: Date.now() });
    for (const r of [up, ringing, over]) await calls.create(r);
    const response = await open(READ);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    const next = eventReader(response);
    const first = await withTimeout(next(), 'the first calls event', 5000);
    expect(first).to.not.equal('end');
    const listed = (first as { calls: Record<string, unknown>[] }).calls;
    expect(listed.map((c) => c['callId'])).to.have.members([up.callId, ringing.callId]);
    const mine = listed.find((c) => c['callId'] === up.callId) as Record<string, unknown>;
    expect(mine['fromName']).to.equal('<img src=x onerror=alert(1)>');
    expect(mine).to.not.have.property('transcript');

    await calls.update(up.callId, { status: 'ended', verdict: { by: 'caller', reason: 'caller-bye' } });
    const second = await withTimeout(next(), 'the event after a call ended', 5000);
    expect(second).to.not.equal('end');
    expect((second as { calls: Record<string, unknown>[] }).calls.map((c) => c['callId'])).to.deep.equal([
      ringing.callId,
    ]);
  });

  it('refuses without a token (401) and beyond the watcher cap (429); close() ends every stream so the server can close', async () => {
    expect((await open(null)).status).to.equal(401);
    const a = await open(READ);
    const b = await open(ADMIN);
    expect([a.status, b.status]).to.deep.equal([200, 200]);
    const third = await open(READ);
    expect(third.status).to.equal(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).to.equal('VB_RATE_LIMITED');
    expect(feed.watchers).to.equal(2);
    const readA = eventReader(a);
    const readB = eventReader(b);
    expect(await withTimeout(readA(), 'the first event on a', 5000)).to.deep.include({ calls: [] });
    feed.close();
    expect(await withTimeout(readA(), 'stream a ended', 5000)).to.equal('end');
    expect(await withTimeout(readB(), 'the first event on b', 5000)).to.deep.include({ calls: [] });
    expect(await withTimeout(readB(), 'stream b ended', 5000)).to.equal('end');
    await withTimeout(server.close(), 'the server closed', 5000);
    expect(feed.watchers).to.equal(0);
  });

  it('a watcher that leaves is forgotten, freeing its place under the cap', async () => {
    const response = await open(READ);
    await withTimeout(eventReader(response)(), 'the first event', 5000);
    expect(feed.watchers).to.equal(1);
    (aborts.at(-1) as AbortController).abort();
    await waitFor('the watcher forgotten', 5000, () => feed.watchers === 0);
  });
});
