import { expect } from 'chai';
import type { LlmCallHarness } from '../agents/llm-call-harness.ts';
import { ANSWER, APOLOGY, HELLO, useRealtimeFixture } from './realtime-fixture.ts';
import type { ClientEvent } from './realtime-wire-server.ts';
import { waitFor } from '../../../../test/support/wait-for.ts';

// The server side is written from OpenAI's published GA Realtime reference (cited in
// realtime-wire-server.ts). Out-of-band responses (`conversation: "none"`) and the session length
// limit: https://developers.openai.com/api/docs/guides/realtime-conversations; the expiry error
// (`session_expired`, "Your session hit the maximum duration of 60 minutes.") as providers send it.

describe('realtime agent kind: the model session renewed before the provider ends it, and after it expires', function () {
  this.timeout(30_000);
  const f = useRealtimeFixture();
  const usageOf = (c: LlmCallHarness): Record<string, number> =>
    (JSON.parse(c.logText.find((l) => l.includes('"agent usage"')) ?? '{}') as { usage: Record<string, number> }).usage;

  it('at renewAfterMs a quiet call moves to a new seeded session checked for audio; the old socket is closed, the caller hears nothing of it, the next answer comes from the new session', async () => {
    f.server.respondWith({ kind: 'audio', pcm: f.hello, transcript: HELLO });
    const c = await f.call({ renewAfterMs: 3000 });
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    await waitFor('the second session', 15_000, () => f.server.connections.length >= 2);
    // A later renewal (3 s after this one) fails to connect and leaves the call on the second session.
    f.server.refuse(...Array.from({ length: 20 }, () => ({ status: 503 })));
    await f.server.connections[0]!.closed;
    const second = f.server.connections[1]!;
    await waitFor('the check answered', 5000, () => f.server.events(second, 'response.create').length >= 1);
    f.server.respondWith({ kind: 'audio', pcm: f.answer, transcript: ANSWER });
    f.serverCreatesResponse(1);
    await c.waitForTranscript((t) => t.length === 2, 'the answer from the new session');
    expect(c.transcript.map((t) => t.text)).to.deep.equal([HELLO, ANSWER]);
    // The check's audio was never played: the caller heard the greeting and the answer, nothing else.
    expect(f.audioSamples(c)).to.equal(f.hello.length + f.answer.length);
    // One session.update on each socket: the renewal is one more, no update of the old session.
    expect(f.server.events(f.server.connections[0], 'session.update')).to.have.length(1);
    const updates = f.server.events(second, 'session.update') as (ClientEvent & {
      session: { instructions: string };
    })[];
    expect(updates).to.have.length(1);
    expect(updates[0]!.session.instructions).to.include('You are the shop assistant.');
    expect(updates[0]!.session.instructions).to.include(`You: ${HELLO}`);
    // Seeded in the instructions only, never with assistant text items.
    expect(f.server.events(second, 'conversation.item.create')).to.deep.equal([]);
    const check = f.server.events(second, 'response.create')[0] as ClientEvent & { response: Record<string, unknown> };
    expect(check.response).to.deep.include({ conversation: 'none', output_modalities: ['audio'] });
    // Caller audio goes to the new session.
    c.media.sendCallerAudio(new Int16Array(160 * 5).fill(3000));
    await waitFor(
      'appends on the new session',
      5000,
      () => f.server.events(second, 'input_audio_buffer.append').length >= 5,
    );
    await c.close();
    expect(usageOf(c)).to.include({ renewals: 1, reconnects: 0 });
    expect(c.recordPatches.find((p) => p.realtime !== undefined)?.realtime).to.deep.include({
      renewals: 1,
      reconnects: 0,
    });
    expect(c.transcript.map((t) => t.text)).to.not.include(APOLOGY);
  });

  it("the provider's session_expired error and close: a new seeded session, no apology and no resume line; the caller who was waiting gets the answer", async () => {
    f.server.respondWith({ kind: 'audio', pcm: f.hello, transcript: HELLO });
    const c = await f.call();
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    f.server.send({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: 'u1',
      content_index: 0,
      transcript: 'Where is my parcel?',
    });
    await c.waitForTranscript((t) => t.length === 2, 'the caller line');
    f.server.respondWith({ kind: 'audio', pcm: f.answer, transcript: ANSWER });
    const first = f.server.connections[0]!;
    f.server.send(
      {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          code: 'session_expired',
          message: 'Your session hit the maximum duration of 60 minutes.',
        },
      },
      first,
    );
    first.socket.close(1000);
    await c.waitForTranscript((t) => t.length === 3, 'the answer on the new session');
    expect(c.transcript.map((t) => t.text)).to.deep.equal([HELLO, 'Where is my parcel?', ANSWER]);
    expect(f.server.connections).to.have.length(2);
    const second = f.server.connections[1]!;
    const update = f.server.events(second, 'session.update')[0] as ClientEvent & { session: { instructions: string } };
    expect(update.session.instructions).to.include('Caller: Where is my parcel?');
    const creates = f.server.events(second, 'response.create') as (ClientEvent & {
      response?: Record<string, unknown>;
    })[];
    // The check, then a plain response.create for the waiting caller: no "tell the caller you are back".
    expect(creates.map((e) => e.response?.['conversation'] ?? 'default')).to.deep.equal(['none', 'default']);
    expect(creates[1]!.response).to.equal(undefined);
    expect(f.audioSamples(c)).to.equal(f.hello.length + f.answer.length);
    await c.close();
    expect(c.media.controls().some((m) => m.event === 'hangup')).to.equal(false);
    expect(usageOf(c)).to.include({ renewals: 1, reconnects: 0 });
  });
});
