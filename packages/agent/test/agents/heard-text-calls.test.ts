import { expect } from 'chai';
import { OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList } from '@voicebridge/protocol';
import { createCloudEngineFactory } from '../../src/engines/cloud-engines.ts';
import { FallbackSlots } from '../../src/engines/fallback-slots.ts';
import { DEFAULT_PLAYOUT_ALLOWANCE_MS, ESTIMATED_HEARD_LABEL } from '../../src/turns/spoken-reply.ts';
import { streamText } from '../llm/fake-openai-server.ts';
import { CartesiaWireServer } from '../engines/cartesia-wire-server.ts';
import { ElevenLabsWireServer } from '../engines/elevenlabs-wire-server.ts';
import { holdsFor } from '../../../../test/support/wait-for.ts';
import { useLlmCallSuite, type LlmCallHarness, type LlmCallSuite } from './llm-call-harness.ts';

/** A 400 Hz tone at about -17 dBFS: voice to the barge-in detector. */
function voice(ms: number): Int16Array {
  const pcm = new Int16Array((ms / 1000) * 8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(4600 * Math.sin((2 * Math.PI * 400 * i) / 8000));
  return pcm;
}

/** 34 characters: 680 ms of the wire servers' voice (20 ms a character), in 100 ms messages. */
const ANSWER = 'We open at nine and close at five.';

/**
 * How many of the held marks (in the order sent since `from`) stand behind at most `samples` of the
 * answer's audio.
 */
function marksWithin(call: LlmCallHarness, from: number, samples: number): number {
  let sent = 0;
  let marks = 0;
  for (const event of call.media.events.slice(from)) {
    if (event.kind === 'audio') sent += event.samples.length;
    else if (event.message.event === 'mark' && sent <= samples) marks++;
  }
  return marks;
}

/**
 * The caller talks over the answer once media reported `chunks` of its 100 ms messages played.
 * Marks reported within the playout allowance of the barge-in do not count as heard, so the
 * caller's voice is sent well after that allowance: the wait is the input (the time the audio
 * played), not a wait for the agent's state.
 */
async function interruptAfter(suite: LlmCallSuite, call: LlmCallHarness, chunks: number): Promise<void> {
  call.media.autoMarks = false;
  const from = call.media.events.length;
  call.stt.hear('when do you open');
  const answerSamples = (): number =>
    call.media.events.slice(from).reduce((n, e) => n + (e.kind === 'audio' ? e.samples.length : 0), 0);
  await call.media.waitFor(() => answerSamples() > chunks * 800, 'the answer playing');
  suite.server.respondWith(streamText(['We are closed on Sundays.']));
  call.media.releaseMarks(chunks === 0 ? 0 : marksWithin(call, from, chunks * 800));
  await holdsFor('the answer playing on, uncut, while the caller is silent', DEFAULT_PLAYOUT_ALLOWANCE_MS * 5, () =>
    call.media.controls().every((m) => m.event !== 'clear'),
  );
  call.media.sendCallerAudio(voice(900));
  await call.media.waitFor(() => call.media.controls().some((m) => m.event === 'clear'), 'the clear');
  call.media.autoMarks = true;
  call.stt.hear('and on Sundays');
  await call.waitForTranscript((t) => t.some((e) => e.text.endsWith(ESTIMATED_HEARD_LABEL)), 'the cut answer');
}

describe("the heard text of a cut reply, from the TTS engine's word timings (local wire servers, real Redis)", function () {
  this.timeout(60_000);
  const suite = useLlmCallSuite();

  const providers = [
    { provider: 'elevenlabs', keyVar: 'ELEVENLABS_API_KEY', start: () => ElevenLabsWireServer.start() },
    { provider: 'cartesia', keyVar: 'CARTESIA_API_KEY', start: () => CartesiaWireServer.start() },
  ] as const;

  for (const p of providers) {
    it(`${p.provider}: 300 ms played is "We open at nine" to the word (samples alone say 3 words); the record keeps the cut words`, async () => {
      const server = await p.start();
      try {
        suite.server.respondWith(streamText([ANSWER]));
        const call = await suite.start({
          engines: { tts: { provider: p.provider, url: server.origin, keyEnv: p.keyVar } },
          cloud: {
            factory: createCloudEngineFactory({
              env: { [p.keyVar]: server.key },
              secretEnv: SecretEnvAllowList.parse(p.keyVar),
              policy: new OutboundPolicy({ denyCidrs: [] }),
            }),
            slots: new FallbackSlots(4),
          },
          greeting: 'Hello.',
        });
        await call.greeted();
        // Three messages: 300 ms, where "nine" ends (its last character 280-300 ms).
        await interruptAfter(suite, call, 3);
        const index = call.transcript.findIndex((e) => e.text.endsWith(ESTIMATED_HEARD_LABEL));
        expect(call.transcript[index]).to.deep.equal({
          speaker: 'agent',
          text: `We open at nine ${ESTIMATED_HEARD_LABEL}`,
        });
        expect(call.cuts[index]).to.equal('and close at five.');
        await call.close();
      } finally {
        await server.close();
      }
    });
  }

  it('an answer cut before any of it was played keeps a record line: nothing heard, every word cut', async () => {
    const server = await ElevenLabsWireServer.start();
    try {
      suite.server.respondWith(streamText([ANSWER]));
      const call = await suite.start({
        engines: { tts: { provider: 'elevenlabs', url: server.origin, keyEnv: 'ELEVENLABS_API_KEY' } },
        cloud: {
          factory: createCloudEngineFactory({
            env: { ELEVENLABS_API_KEY: server.key },
            secretEnv: SecretEnvAllowList.parse('ELEVENLABS_API_KEY'),
            policy: new OutboundPolicy({ denyCidrs: [] }),
          }),
          slots: new FallbackSlots(4),
        },
        greeting: 'Hello.',
      });
      await call.greeted();
      await interruptAfter(suite, call, 0);
      const index = call.transcript.findIndex((e) => e.text.endsWith(ESTIMATED_HEARD_LABEL));
      expect(call.transcript[index]).to.deep.equal({ speaker: 'agent', text: ESTIMATED_HEARD_LABEL });
      expect(call.cuts[index]).to.equal(ANSWER);
      await call.waitForTranscript((t) => t.at(-1)?.text === 'We are closed on Sundays.', 'the next answer');
      // The model is not told of a reply nobody heard: the caller's words continue their turn.
      const messages = (suite.server.requests.at(-1)?.body as { messages: Array<{ role: string }> }).messages;
      expect(messages.slice(-2).map((m) => m.role)).to.deep.equal(['user', 'user']);
      await call.close();
    } finally {
      await server.close();
    }
  });
});
