import { expect } from 'chai';
import type { ConversationState } from '@voicebridge/protocol';
import { LLM_RESUME_LINE, LLM_RESUME_PROMPT, llmResumeLine, resumeTopic } from '../../src/agents/llm-resume.ts';
import { FLITE_VOICES, FliteTts } from '../../src/tts/flite-tts.ts';

function state(lastCaller: string): ConversationState {
  const messages = [
    { role: 'agent' as const, text: 'Harbour Dental, how can I help?', atMs: 0 },
    { role: 'caller' as const, text: lastCaller, atMs: 1000 },
  ];
  return { version: 1, callId: 'c', epoch: 1, configVersion: 1, turns: 1, messages, greeted: true, updatedAtMs: 0 };
}

/** The llm agent's first words after a takeover: one short line from the restored history, never a recap. */
describe('llmResumeLine', function () {
  this.timeout(60_000);

  it("names what the caller's unanswered words were about, from their last word that can be a topic", () => {
    expect(resumeTopic('what are your opening hours')).to.equal('hours');
    expect(resumeTopic('how much is a check-up')).to.equal('check-up');
    expect(resumeTopic('is Tuesday morning possible')).to.equal('Tuesday');
    expect(resumeTopic('my name is Ada and I need a cleaning')).to.equal('cleaning');
    expect(resumeTopic('I want to cancel my appointment please')).to.equal('appointment');
    // Nothing left that could be a topic, or too long to say within the line's time.
    expect(resumeTopic('when are you open')).to.equal(undefined);
    expect(resumeTopic('where are you located')).to.equal(undefined);
    expect(resumeTopic('do you do orthodontists')).to.equal(undefined);
    expect(llmResumeLine(state('how much is a check-up'), true)).to.equal('Back to check-up.');
    expect(llmResumeLine(state('when are you open'), true)).to.equal(LLM_RESUME_LINE);
  });

  it('asks where they were when the last words were answered (what was said meanwhile is lost)', () => {
    expect(llmResumeLine(state('how much is a check-up'), false)).to.equal(LLM_RESUME_PROMPT);
  });

  it('lasts at most 2 s in every flite voice with the longest topic it names (real flite, samples counted)', async () => {
    const tts = new FliteTts();
    try {
      const lines = [LLM_RESUME_LINE, LLM_RESUME_PROMPT, 'Back to appointment.', 'Back to prescription.'];
      for (const voice of FLITE_VOICES.filter((v) => v !== 'awb_time')) {
        for (const line of lines) {
          let samples = 0;
          for await (const chunk of tts.synthesize(line, {
            sampleRateHz: 8000,
            voice,
            signal: AbortSignal.timeout(10_000),
          }))
            samples += chunk.length;
          expect((samples / 8000) * 1000, `${voice}: ${line}`).to.be.at.most(2000);
        }
      }
    } finally {
      await tts.close();
    }
  });
});
