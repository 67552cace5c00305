import { expect } from 'chai';
import { MAX_CALL_EVENT_BYTES, newCallId, type CallRecord } from '@voicebridge/protocol';
import { waitFor } from '../../../test/support/wait-for.ts';
import { CallEventRedelivery, parseSecrets, verificationProblem, type SignedHeaders } from '../src/index.ts';
import { DeliveryRig, Receiver, secretOf, type Received } from './delivery-fixture.ts';

const SECRET_ENV = 'VB_SECRET_EVENTS';

describe('call events: publisher, queue and delivery worker (real Redis, real HTTP receiver)', function () {
  this.timeout(30_000);
  let receiver: Receiver;
  let rig: DeliveryRig | undefined;
  let url: string;
  const secret = secretOf();
  const [key] = parseSecrets(secret, SECRET_ENV) as [Buffer];
  const numberFor = (path = '/hooks', timeoutMs?: number) => ({
    events: { url: `${url}${path}`, secretEnv: SECRET_ENV, ...(timeoutMs !== undefined && { timeoutMs }) },
  });
  const start = async (
    options: { attempts: number; backoffMs: number },
    env: Record<string, string> = { [SECRET_ENV]: secret },
  ) => {
    rig = new DeliveryRig(env, options);
    await rig.worker.start();
    return rig;
  };

  beforeEach(async () => {
    receiver = new Receiver();
    url = await receiver.start();
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    await receiver.close();
  });

  it('delivers each event once, signed per Standard Webhooks, with increasing per-call sequence numbers', async () => {
    const r = await start({ attempts: 3, backoffMs: 100 });
    const callId = newCallId(Date.now());
    r.publisher.publish(numberFor(), callId, 'call.ringing', { number: '+15551230001' });
    r.publisher.publish(numberFor(), callId, 'call.answered', {});
    r.publisher.publish(numberFor(), callId, 'call.turn', { turn: { turn: 1 } });
    r.publisher.publish({}, callId, 'call.turn', {}); // a number without events sends nothing
    await waitFor('three deliveries', 10_000, () => receiver.received.length >= 3);
    const bodies = receiver.received.map((got) => {
      expect(verificationProblem(key, got.headers as unknown as SignedHeaders, got.body, Date.now() / 1000)).to.equal(
        undefined,
      );
      expect(got.headers['content-type']).to.equal('application/json');
      const body = JSON.parse(got.body) as {
        type: string;
        data: { sequence: number; eventId: string; callId: string };
      };
      expect(body.data.eventId).to.equal(got.headers['webhook-id']);
      expect(body.data.callId).to.equal(callId);
      return body;
    });
    expect(bodies.map((b) => b.data.sequence).sort()).to.deep.equal([1, 2, 3]);
    expect(bodies.find((b) => b.data.sequence === 1)?.type).to.equal('call.ringing');
    expect(new Set(bodies.map((b) => b.data.eventId)).size).to.equal(3);
    await waitFor(
      'counted delivered',
      5000,
      async () => (await r.counter('voicebridge_call_events_delivered_total')) === 3,
    );
    expect(receiver.received).to.have.length(3);
  });

  it('retries a failing receiver with growing back-off and the same id and body; delivered on the third try', async () => {
    const r = await start({ attempts: 4, backoffMs: 200 });
    receiver.reply = () => (receiver.received.length < 3 ? { status: 500 } : { status: 200 });
    r.publisher.publish(numberFor(), newCallId(Date.now()), 'call.answered', {});
    await waitFor('the third attempt', 15_000, () => receiver.received.length >= 3);
    await waitFor(
      'counted delivered',
      5000,
      async () => (await r.counter('voicebridge_call_events_delivered_total')) === 1,
    );
    const [a, b, c] = receiver.received as [Received, Received, Received];
    expect(new Set([a, b, c].map((got) => got.headers['webhook-id'])).size).to.equal(1);
    expect(new Set([a, b, c].map((got) => got.body)).size).to.equal(1);
    // Exponential: the second pause is about twice the first (jitter takes at most 20% off).
    expect(b.atMs - a.atMs).to.be.at.least(200 * 0.8 - 5);
    expect(c.atMs - b.atMs).to.be.at.least(400 * 0.8 - 5);
    expect(await r.counter('voicebridge_call_events_failed_total', { final: 'false' })).to.equal(2);
  });

  it("honours a 429's Retry-After when it asks for more than the back-off, and a 503's only up to the schedule's longest pause", async () => {
    const r = await start({ attempts: 5, backoffMs: 200 });
    // 429 asking for 1 s where the schedule would wait 160-200 ms; then a 503 asking for an hour
    // where the schedule's longest pause (before the fifth and last attempt) is 1.6 s.
    receiver.reply = () => {
      const n = receiver.received.length;
      if (n === 1) return { status: 429, headers: { 'retry-after': '1' } };
      if (n === 2) return { status: 503, headers: { 'retry-after': '3600' } };
      return { status: 204 };
    };
    r.publisher.publish(numberFor(), newCallId(Date.now()), 'call.answered', {});
    await waitFor(
      'the third attempt, though the receiver asked for an hour',
      10_000,
      () => receiver.received.length >= 3,
    );
    const [a, b, c] = receiver.received as [Received, Received, Received];
    expect(b.atMs - a.atMs, 'waited as the 429 asked').to.be.at.least(1000 - 5);
    expect(c.atMs - b.atMs, 'waited longer than the schedule, as far as its longest pause').to.be.at.least(1600 - 5);
    await waitFor(
      'counted delivered',
      5000,
      async () => (await r.counter('voicebridge_call_events_delivered_total')) === 1,
    );
  });

  it('a 3xx is a failure and never followed; after the capped attempts the event is in the dead-letter list', async () => {
    const r = await start({ attempts: 2, backoffMs: 100 });
    receiver.reply = (got) =>
      got.path === '/moved' ? { status: 200 } : { status: 302, headers: { location: `${url}/moved` } };
    const callId = newCallId(Date.now());
    r.publisher.publish(numberFor(), callId, 'call.ringing', {});
    const dead = await waitFor('the dead letter', 10_000, async () => (await r.deadLetters.list(callId))[0]);
    expect(dead).to.include({ type: 'call.ringing', sequence: 1, attempts: 2, status: 302 });
    expect(dead.error).to.include('redirects are not followed');
    expect(receiver.received.map((got) => got.path)).to.deep.equal(['/hooks', '/hooks']);
    expect(await r.counter('voicebridge_call_events_failed_total', { final: 'true' })).to.equal(1);
  });

  it('an attempt without a reply ends at the timeout; a dead receiver ends in the dead-letter list', async () => {
    const r = await start({ attempts: 2, backoffMs: 100 });
    receiver.reply = () => 'hang';
    const callId = newCallId(Date.now());
    r.publisher.publish(numberFor('/hooks', 300), callId, 'call.answered', {});
    const dead = await waitFor('the dead letter', 10_000, async () => (await r.deadLetters.list(callId))[0]);
    expect(dead).to.include({ attempts: 2 });
    expect(dead.error).to.match(/within 300 ms|timeout/);
    expect(receiver.received).to.have.length(2);

    await receiver.close();
    const down = newCallId(Date.now());
    r.publisher.publish(numberFor('/hooks', 300), down, 'call.ended', {});
    const refused = await waitFor('the refused dead letter', 10_000, async () => (await r.deadLetters.list(down))[0]);
    expect(refused.error).to.include('ECONNREFUSED');
    receiver = new Receiver();
    await receiver.start();
  });

  it("an operator's redelivery queues a call's dead letters again: same id, sequence and body, to the number's URL as it is now", async () => {
    const r = await start({ attempts: 2, backoffMs: 50 });
    receiver.reply = (got) => (got.path === '/fixed' ? { status: 204 } : { status: 500 });
    const callId = newCallId(Date.now());
    r.publisher.publish(numberFor('/broken'), callId, 'call.ringing', { number: '+15551230001' });
    r.publisher.publish(numberFor('/broken'), callId, 'call.answered', {});
    await waitFor('two dead letters', 10_000, async () => (await r.deadLetters.list(callId)).length === 2);
    const failed = receiver.received.filter((got) => got.path === '/broken');
    const redelivery = new CallEventRedelivery({
      redis: r.redis,
      bullPrefix: `${r.keys.prefix}:bull`,
      deadLetters: r.deadLetters,
      attempts: 2,
      backoffMs: 50,
    });
    try {
      let refusal: unknown;
      await redelivery.redeliver(callId, {}).catch((error: unknown) => (refusal = error));
      expect(refusal).to.have.property('code', 'VB_CONFLICT');
      expect(await r.deadLetters.list(callId), 'a refused redelivery keeps the letters').to.have.length(2);

      const ids = await redelivery.redeliver(callId, numberFor('/fixed'));
      expect(ids).to.have.length(2);
      const fixed = await waitFor('both delivered to the fixed URL', 10_000, () => {
        const got = receiver.received.filter((d) => d.path === '/fixed');
        return got.length === 2 ? got : undefined;
      });
      for (const got of fixed) {
        const before = failed.find((d) => d.headers['webhook-id'] === got.headers['webhook-id']);
        expect(before?.body, 'the same body under the same id').to.equal(got.body);
        expect(verificationProblem(key, got.headers as unknown as SignedHeaders, got.body, Date.now() / 1000)).to.equal(
          undefined,
        );
      }
      expect(new Set(fixed.map((d) => d.headers['webhook-id']))).to.deep.equal(new Set(ids));
      expect(await r.deadLetters.list(callId)).to.deep.equal([]);
      expect(await redelivery.redeliver(callId, numberFor('/fixed')), 'nothing left').to.deep.equal([]);
    } finally {
      await redelivery.close();
      await redelivery.close();
    }
  });

  it('a missing secret is final at the first attempt, and nothing is sent', async () => {
    const r = await start({ attempts: 5, backoffMs: 100 }, {});
    const noSecret = newCallId(Date.now());
    r.publisher.publish(numberFor(), noSecret, 'call.ringing', {});
    const dead = await waitFor('the dead letter', 10_000, async () => (await r.deadLetters.list(noSecret))[0]);
    expect(dead).to.include({ attempts: 1 });
    expect(dead.error).to.include('VB_SECRET_EVENTS is not set');
    expect(receiver.received).to.have.length(0);
  });

  it('410 Gone stops at once', async () => {
    const r = await start({ attempts: 5, backoffMs: 100 });
    receiver.reply = () => ({ status: 410 });
    const callId = newCallId(Date.now());
    r.publisher.publish(numberFor(), callId, 'call.ringing', {});
    const dead = await waitFor('the dead letter', 10_000, async () => (await r.deadLetters.list(callId))[0]);
    expect(dead).to.include({ attempts: 1, status: 410 });
    expect(receiver.received).to.have.length(1);
  });

  it('call.ended carries the record capped in size, the transcript only with the opt-in', async () => {
    const r = await start({ attempts: 2, backoffMs: 100 });
    const callId = newCallId(Date.now());
    const record: CallRecord = {
      version: 1,
      callId,
      sipCallId: 'x@y',
      from: 'sip:caller@198.51.100.7',
      to: 'sip:+15551230001@bridge',
      number: '+15551230001',
      status: 'ended',
      invitedAtMs: Date.now() - 60_000,
      endedAtMs: Date.now(),
      verdict: { by: 'caller', reason: 'caller-bye' },
      transcript: Array.from({ length: 400 }, (_, i) => ({
        atMs: i * 1000,
        speaker: 'caller' as const,
        text: 'word '.repeat(40),
      })),
    };
    r.publisher.publishEnded(numberFor(), record);
    r.publisher.publishEnded({ events: { ...numberFor().events, includeTranscript: true } }, record);
    await waitFor('two deliveries', 10_000, () => receiver.received.length >= 2);
    const bodies = receiver.received.map((got) => ({
      size: Buffer.byteLength(got.body),
      json: JSON.parse(got.body) as { data: { record: CallRecord; truncated?: boolean } },
    }));
    const without = bodies.find((b) => b.json.data.record.transcript === undefined);
    const withText = bodies.find((b) => b.json.data.record.transcript !== undefined);
    expect(without?.json.data.truncated).to.equal(undefined);
    expect(without?.json.data.record.verdict).to.deep.equal({ by: 'caller', reason: 'caller-bye' });
    expect(withText?.json.data.truncated).to.equal(true);
    expect(withText?.size).to.be.at.most(MAX_CALL_EVENT_BYTES);
    expect(withText?.json.data.record.transcript.length).to.be.within(1, 399);
  });
});
