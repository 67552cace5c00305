import { expect } from 'chai';
import { OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList } from '@voicebridge/protocol';
import { createCloudEngineFactory } from '../../src/engines/cloud-engines.ts';
import { FallbackSlots } from '../../src/engines/fallback-slots.ts';
import { streamText } from '../llm/fake-openai-server.ts';
import { OpenAiTranscriptionWireServer, vadTurn } from '../engines/openai-transcription-wire-server.ts';
import { useLlmCallSuite } from './llm-call-harness.ts';

const KEY_VAR = 'OPENAI_API_KEY';
const QUESTIONS = ['do you sell bicycles', 'and helmets too', 'when do you open'];

/** A tone at about -19 dBFS, as loud as speech on a phone line. */
function voice(ms: number): Int16Array {
  return Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(3500 * Math.sin((2 * Math.PI * 300 * i) / 8000)));
}

/**
 * An llm call hearing the caller through the OpenAI transcription adapter (the local server of
 * `openai-transcription-wire-server.ts`, written from the reference cited there), real Redis,
 * flite: each final goes to the model as the caller's words, and the record names the engine.
 * Prints the time from the server's `completed` event to the model request the final started
 * (the agent's own cost: the adapter, the turn logic, the request), for docs/engines.md.
 */
describe('llm calls hearing the caller through OpenAI transcription (local wire server, real Redis)', function () {
  this.timeout(30_000);
  const suite = useLlmCallSuite();

  it('each completed transcript is a caller turn the model answers; the record names openai and its audio', async () => {
    const server = await OpenAiTranscriptionWireServer.start();
    try {
      // One scripted turn per second of caller audio, its events once 600 ms of that second arrived.
      server.script = {
        frames: QUESTIONS.flatMap((question, i) =>
          vadTurn(`item_${i}`, question.split(' '), { startMs: i * 1000, endMs: i * 1000 + 500 }).map((frame) => ({
            atAudioMs: i * 1000 + 600,
            frame,
          })),
        ),
      };
      const requestedAt: number[] = [];
      const answer = streamText(['Sure.']);
      suite.server.respondWith((request, response) => {
        requestedAt.push(performance.now());
        return answer(request, response);
      });
      const call = await suite.start({
        engines: { stt: { provider: 'openai', url: server.url, keyEnv: KEY_VAR } },
        cloud: {
          factory: createCloudEngineFactory({
            env: { [KEY_VAR]: server.key },
            secretEnv: SecretEnvAllowList.parse(KEY_VAR),
            policy: new OutboundPolicy({ denyCidrs: [] }),
          }),
          slots: new FallbackSlots(1),
        },
        agentConfig: {
          kind: 'llm',
          greeting: 'Hello.',
          llm: { baseUrl: suite.server.baseUrl, model: 'fake-model' },
          // The request starts on the final, so the time measured is the final's.
          answerStart: 'final',
        },
      });
      await call.media.waitFor(() => call.marks() >= 1, 'the greeting');
      expect(server.connections, 'the session was opened before the greeting').to.have.length(1);
      for (const [i, question] of QUESTIONS.entries()) {
        call.media.sendCallerAudio(voice(500));
        call.media.sendCallerAudio(new Int16Array(500 * 8));
        await call.media.waitFor(() => call.marks() >= i + 2, `the answer to "${question}"`);
      }
      const asked = suite.server.requests.map((r) => {
        const messages = (r.body as { messages: { role: string; content: string }[] }).messages;
        return messages.filter((m) => m.role === 'user').at(-1)?.content;
      });
      expect(asked).to.deep.equal(QUESTIONS);
      const latencies = QUESTIONS.map((_, i) => requestedAt[i]! - server.completedSentAt.get(`item_${i}`)!);
      process.stdout.write(
        `      server completed → model request: ${latencies.map((ms) => ms.toFixed(1)).join(', ')} ms\n`,
      );
      await call.close();
      const engines = call.recordPatches.find((patch) => patch.engines !== undefined)?.engines;
      expect(engines?.stt).to.include({ provider: 'openai', model: 'gpt-4o-transcribe' });
      expect(engines?.stt.audioSeconds).to.be.at.least(3);
      expect(engines?.stt).not.to.have.property('switchedTo');
    } finally {
      await server.close();
    }
  });
});
