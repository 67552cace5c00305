import { expect } from 'chai';
import { InProcessCall } from '../src/in-process-call.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { chunk } from '../../packages/agent/test/llm/fake-openai-server.ts';

/**
 * The streaming path end to end, in one process with the real parts (`InProcessCall`: the media
 * worker with real UDP RTP to a caller socket, the Redis audio channel, `CallRunner` with the llm
 * agent, real flite) and a local OpenAI-compatible server that holds back its last token until the
 * caller's socket has received a voiced packet of the reply.
 */
describe('streaming: the reply leaves the bridge as RTP before the model has finished', function () {
  this.timeout(60_000);
  let call: InProcessCall | undefined;

  afterEach(async () => {
    await call?.close();
    call = undefined;
  });

  it("the caller receives the answer's first audio packet while the model still holds back its last token", async () => {
    call = await InProcessCall.start();
    const c = call;
    let askedAtMs = Infinity;
    let replyPacketWhileHeldBack: boolean | undefined;
    c.server.respondWith(async (_request, response) => {
      askedAtMs = performance.now();
      const send = (payload: unknown): void => void response.write(`data: ${JSON.stringify(payload)}\n\n`);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of ['We are open', ' from nine', ' to five.', ' On Saturdays']) send(chunk({ content: piece }));
      // Bounded: when no reply audio arrives first, the last token goes anyway and the test fails.
      replyPacketWhileHeldBack = await waitFor('the first reply packet', 20_000, () =>
        c.caller.received.some((p) => p.voiced && p.atMs > askedAtMs),
      ).then(
        () => true,
        () => false,
      );
      send(chunk({ content: ' until noon.' }));
      send(chunk({}, 'stop'));
      response.end('data: [DONE]\n\n');
    });
    await waitFor('the agent to listen after its greeting', 30_000, () => c.stt.listening);
    c.stt.hear('when are you open');
    await waitFor('the whole answer in the transcript', 30_000, () =>
      c.transcript.some((t) => t.includes('until noon')),
    );
    expect(
      replyPacketWhileHeldBack,
      'a voiced reply packet reached the caller before the last token was sent',
    ).to.equal(true);
    await waitFor('the timed turn', 30_000, () => c.turns.length === 1 && c.turns[0]?.firstRtpAtMs !== undefined);
    expect(c.transcript).to.deep.equal([
      'agent: Hello.',
      'caller: when are you open',
      'agent: We are open from nine to five. On Saturdays until noon.',
    ]);
  });
});
