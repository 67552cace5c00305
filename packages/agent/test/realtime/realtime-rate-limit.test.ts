import { expect } from 'chai';
import { ANSWER, APOLOGY, HELLO, useRealtimeFixture } from './realtime-fixture.ts';

// The server side is written from OpenAI's published GA Realtime reference (cited in
// realtime-wire-server.ts): an `error` event whose `error.code` names the failure, the session left
// open. A rate limit mid-call is retried once; a second one ends the call with an apology.

const RATE_LIMITED = {
  kind: 'error',
  code: 'rate_limit_exceeded',
  message: 'Rate limit reached for requests',
} as const;

describe('realtime agent kind: a rate limit mid-call (local Realtime server)', function () {
  this.timeout(30_000);
  const f = useRealtimeFixture();
  const responseCreates = (): number => f.server.events(f.server.connections.at(-1), 'response.create').length;

  it('one rate limit: the agent asks for the response again and the caller hears the answer; the call goes on', async () => {
    f.server.respondWith({ kind: 'audio', pcm: f.hello, transcript: HELLO });
    const c = await f.call();
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    const before = responseCreates();
    f.server.respondWith(RATE_LIMITED, { kind: 'audio', pcm: f.answer, transcript: ANSWER });
    f.serverCreatesResponse();
    await c.waitForTranscript((t) => t.length === 2, 'the answer after the retry');
    expect(c.transcript.at(-1)?.text).to.equal(ANSWER);
    expect(responseCreates() - before, "the server's own create, then the agent's one retry").to.equal(2);
    expect(c.media.controls().some((m) => m.event === 'hangup')).to.equal(false);
    expect(c.logText.join('')).to.include('rate_limit_exceeded');
  });

  it('a rate limit after the retry: the apology in the fallback voice, then the call ends model-lost', async () => {
    f.server.respondWith({ kind: 'audio', pcm: f.hello, transcript: HELLO });
    const c = await f.call();
    await c.waitForTranscript((t) => t.length === 1, 'the greeting');
    f.server.respondWith(RATE_LIMITED, RATE_LIMITED);
    f.serverCreatesResponse();
    await c.media.waitFor(() => c.media.controls().some((m) => m.event === 'hangup'), 'the hangup');
    const hangup = c.media.controls().find((m) => m.event === 'hangup') as { reason: string };
    expect(hangup.reason).to.equal('model-lost');
    expect(c.transcript.at(-1)?.text).to.equal(APOLOGY);
  });
});
