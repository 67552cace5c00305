import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { CallEventDeadLetter, CallRecord, TurnLatency } from '@voicebridge/protocol';
import { waitFor } from '../../test/support/wait-for.ts';
import { useBridge } from '../src/bridge-fixture.ts';
import { describeRun, endedRecord, runSipp } from '../src/sipp.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const LISTENING = '+15551239301';
const SLOW = '+15551239302';
const TURNS_PRIVATE = '+15551239303';
const TURNS_SHARED = '+15551239304';
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * The test's own Standard Webhooks verifier, written from the spec rather than taken from the
 * bridge (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
 * "Signature scheme", "Webhook headers", "Verifying signatures"): base64 HMAC-SHA256 with the
 * secret's bytes after `whsec_` over `id.timestamp.body`, any `v1,` entry of the space-delimited
 * header, the timestamp within 5 minutes.
 */
function verifies(delivery: Delivery): boolean {
  const id = String(delivery.headers['webhook-id']);
  const timestamp = String(delivery.headers['webhook-timestamp']);
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const expected = Buffer.from(
    createHmac('sha256', key).update(`${id}.${timestamp}.${delivery.body}`).digest('base64'),
  );
  return String(delivery.headers['webhook-signature'])
    .split(' ')
    .some((entry) => {
      const [version, value = ''] = entry.split(',', 2);
      const given = Buffer.from(value);
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

interface TurnBody {
  type: string;
  data: {
    callId: string;
    sequence: number;
    turn: number;
    latency: TurnLatency;
    callerText?: string;
    agentText?: string;
  };
}

/** A receiver on a free loopback port: `answering` replies 204 to everything, else it never replies. */
async function receiver(answering: boolean): Promise<{ url: string; got: Delivery[]; close: () => Promise<void> }> {
  const got: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (answering) res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/voicebridge`;
  return {
    url,
    got,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('call events of real SIPp calls (voicebridge start, Standard Webhooks receivers)', function () {
  this.timeout(180_000);
  const bridge = useBridge({
    env: {
      ADMIN_TOKEN: ADMIN,
      READ_TOKEN: READ,
      VB_SECRET_EVENTS: SECRET,
      EVENTS_MAX_ATTEMPTS: '2',
      EVENTS_BACKOFF_MS: '200',
      GREETING_DELAY_MS: '200',
    },
  });
  const api = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`http://127.0.0.1:${bridge().httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  it('a listening backend gets ringing, answered, ended signed and in sequence; a silent one delays no call and its events end dead-lettered', async () => {
    const listening = await receiver(true);
    const silent = await receiver(false);
    try {
      for (const [number, url] of [
        [LISTENING, listening.url],
        [SLOW, silent.url],
      ] as const) {
        const put = await api('PUT', `/api/v1/numbers/${encodeURIComponent(number)}`, {
          agent: { kind: 'scripted', greeting: 'Hello from the events test' },
          events: { url, secretEnv: 'VB_SECRET_EVENTS' },
        });
        expect(put.status, await put.clone().text()).to.equal(201);
      }
      const target = `127.0.0.1:${bridge().sipPort}`;
      // Both calls at once: the silent receiver holds its requests for the whole 10 s timeout.
      const [heard, ignored] = await Promise.all(
        [LISTENING, SLOW].map((service) =>
          runSipp({ scenario: 'uac-answer-bye.xml', target, service, pauseMs: 1500, timeoutMs: 60_000 }),
        ),
      );
      for (const run of [heard!, ignored!]) expect(run.code, describeRun(run)).to.equal(0);

      const record = await endedRecord(bridge(), heard!.sipCallIds[0]!, 20_000);
      const events = await waitFor('ringing, answered and ended delivered', 30_000, () => {
        const types = listening.got.map((d) => (JSON.parse(d.body) as { type: string }).type);
        return types.includes('call.ended') && types.length >= 3 ? listening.got : undefined;
      });
      const parsed = events.map((d) => {
        expect(verifies(d), `signature of ${d.body.slice(0, 80)}`).to.equal(true);
        const body = JSON.parse(d.body) as {
          type: string;
          data: { callId: string; sequence: number; eventId: string; record?: CallRecord };
        };
        expect(body.data.eventId).to.equal(d.headers['webhook-id']);
        expect(body.data.callId).to.equal(record.callId);
        return body;
      });
      const bySequence = [...parsed].sort((a, b) => a.data.sequence - b.data.sequence);
      expect(bySequence.map((e) => e.type)).to.deep.equal(['call.ringing', 'call.answered', 'call.ended']);
      expect(bySequence.map((e) => e.data.sequence)).to.deep.equal([1, 2, 3]);
      const ended = bySequence[2]?.data.record;
      expect(ended?.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
      expect(ended?.transcript, 'no transcript without the opt-in').to.equal(undefined);

      // The silent receiver held every request until the 10 s timeout, yet its call rang and was
      // answered as the other one was: delivery is not on the call's path.
      const slowRecord = await endedRecord(bridge(), ignored!.sipCallIds[0]!, 20_000);
      expect(slowRecord.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
      expect((slowRecord.answeredAtMs ?? Infinity) - slowRecord.invitedAtMs).to.be.below(10_000);
      const dead = await waitFor('three dead letters', 90_000, async () => {
        const detail = (await (await api('GET', `/api/v1/calls/${slowRecord.callId}`)).json()) as {
          eventsDeadLetter: CallEventDeadLetter[];
        };
        return detail.eventsDeadLetter.length === 3 ? detail.eventsDeadLetter : undefined;
      });
      expect(dead.map((l) => l.type).sort()).to.deep.equal(['call.answered', 'call.ended', 'call.ringing']);
      for (const letter of dead) expect(letter).to.include({ attempts: 2 });
      expect(silent.got.length).to.equal(6);

      // The operator points the number at a receiver that listens and has the dead letters sent again.
      const redeliver = `/api/v1/calls/${slowRecord.callId}/events/redeliver`;
      const url = `http://127.0.0.1:${bridge().httpPort}${redeliver}`;
      expect((await fetch(url, { method: 'POST' })).status, 'no token').to.equal(401);
      const readOnly = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${READ}` } });
      expect(readOnly.status, 'the read token').to.equal(403);
      const put = await api('PUT', `/api/v1/numbers/${encodeURIComponent(SLOW)}`, {
        agent: { kind: 'scripted', greeting: 'Hello from the events test' },
        events: { url: `${listening.url}?fixed`, secretEnv: 'VB_SECRET_EVENTS' },
      });
      expect(put.status).to.equal(200);
      const again = await api('POST', redeliver);
      expect(again.status, await again.clone().text()).to.equal(200);
      const { redelivered } = (await again.json()) as { redelivered: string[] };
      expect(new Set(redelivered)).to.deep.equal(new Set(dead.map((l) => l.eventId)));
      const resent = await waitFor('the three redelivered', 20_000, () => {
        const got = listening.got.filter((d) => redelivered.includes(String(d.headers['webhook-id'])));
        return got.length === 3 ? got : undefined;
      });
      for (const delivery of resent) {
        expect(verifies(delivery)).to.equal(true);
        const first = silent.got.find((d) => d.headers['webhook-id'] === delivery.headers['webhook-id']);
        expect(delivery.body, 'the same body under the same id').to.equal(first?.body);
      }
      const after = (await (await api('GET', `/api/v1/calls/${slowRecord.callId}`)).json()) as {
        eventsDeadLetter: CallEventDeadLetter[];
      };
      expect(after.eventsDeadLetter).to.deep.equal([]);
      const detail = (await (await api('GET', `/api/v1/calls/${record.callId}`)).json()) as {
        eventsDeadLetter: CallEventDeadLetter[];
      };
      expect(detail.eventsDeadLetter).to.deep.equal([]);
    } finally {
      await Promise.all([listening.close(), silent.close()]);
    }
  });
  it("a spoken question gives one call.turn, signed, in sequence, with the record's turn figures; words only with the opt-in", async () => {
    const backend = await receiver(true);
    try {
      for (const [number, includeTranscript] of [
        [TURNS_PRIVATE, false],
        [TURNS_SHARED, true],
      ] as const) {
        const put = await api('PUT', `/api/v1/numbers/${encodeURIComponent(number)}`, {
          agent: {
            kind: 'scripted',
            greeting: 'Hello, ask me about our opening hours.',
            answers: [{ keyword: 'hours', text: 'We are open from nine in the morning to five in the evening.' }],
          },
          events: { url: backend.url, secretEnv: 'VB_SECRET_EVENTS', includeTranscript },
        });
        expect(put.status, await put.clone().text()).to.equal(201);
      }
      // Real calls with voicebridge test-call: flite says the question over G.711, pocketsphinx hears it.
      const runs = await Promise.all(
        [TURNS_PRIVATE, TURNS_SHARED].map((number) =>
          bridge().cli(['test-call', number, '--say', 'what are your opening hours', '--seconds', '30', '--json']),
        ),
      );
      const calls = runs.map((run) => {
        expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
        return JSON.parse(run.stdout) as { callId: string };
      });
      for (const [index, number] of [TURNS_PRIVATE, TURNS_SHARED].entries()) {
        const callId = calls[index]!.callId;
        const events = await waitFor(`${number}: a turn and the end delivered`, 30_000, () => {
          const mine = backend.got
            .map((d) => ({ delivery: d, body: JSON.parse(d.body) as TurnBody }))
            .filter((e) => e.body.data.callId === callId);
          const types = mine.map((e) => e.body.type);
          return types.includes('call.ended') && types.includes('call.turn') ? mine : undefined;
        });
        for (const { delivery } of events)
          expect(verifies(delivery), `signature of ${delivery.body.slice(0, 80)}`).to.equal(true);
        const sequences = events.map((e) => e.body.data.sequence).sort((a, b) => a - b);
        expect(sequences, 'one sequence number per event, from 1, no gaps').to.deep.equal(
          sequences.map((_, i) => i + 1),
        );
        const bySequence = [...events].sort((a, b) => a.body.data.sequence - b.body.data.sequence);
        expect(bySequence.slice(0, 2).map((e) => e.body.type)).to.deep.equal(['call.ringing', 'call.answered']);
        const turns = bySequence.filter((e) => e.body.type === 'call.turn').map((e) => e.body.data);
        const detail = (await (await api('GET', `/api/v1/calls/${callId}`)).json()) as { turns: TurnLatency[] };
        const recorded = detail.turns;
        expect(
          turns.map((t) => t.turn),
          'one event per recorded turn',
        ).to.deep.equal(recorded.map((t) => t.turn));
        for (const turn of turns) expect(turn.latency).to.deep.equal(recorded[turn.turn - 1]);
        expect(turns[0]?.latency.firstRtpAtMs, 'the reply reached the caller').to.be.a('number');
        if (number === TURNS_PRIVATE) {
          for (const turn of turns) expect(turn).not.to.have.any.keys('callerText', 'agentText');
        } else {
          expect(turns[0]?.callerText).to.match(/hours/);
          expect(turns[0]?.agentText).to.include('nine in the morning');
        }
      }
    } finally {
      await backend.close();
    }
  });
});
