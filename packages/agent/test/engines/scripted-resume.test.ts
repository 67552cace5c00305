import { expect } from 'chai';
import type { ConversationState } from '@voicebridge/protocol';
import { ScriptedDialogue } from '../../src/scripted/scripted-dialogue.ts';
import { scriptedResumeLine } from '../../src/scripted/scripted-resume.ts';
import { FLITE_VOICES, FliteTts } from '../../src/tts/flite-tts.ts';

const DEMO = new ScriptedDialogue({
  answers: [
    { keyword: 'hours', text: 'We are open from nine to five.' },
    { keyword: 'price', text: 'The basic plan costs ten dollars a month.' },
    { keyword: 'address', text: 'We are at one hundred Main Street.' },
    { keyword: 'opening times on holidays', text: 'Closed on holidays.' },
  ],
});

function state(lines: Omit<ConversationState['messages'][number], 'atMs'>[]): ConversationState {
  const messages = lines.map((line, i) => ({ ...line, atMs: i * 1000 }));
  return { version: 1, callId: 'c', epoch: 1, configVersion: 1, turns: 1, messages, greeted: true, updatedAtMs: 0 };
}

/** The scripted agent's first words after a takeover: one short line, never a recap. */
describe('scriptedResumeLine', function () {
  this.timeout(30_000);

  it("names the topic of the caller's last words when they matched a one-word keyword, else just says it is back", () => {
    const asked = (text: string): ConversationState =>
      state([
        { role: 'agent', text: 'Hello, ask me about our hours.' },
        { role: 'caller', text },
        { role: 'agent', text: 'We are open from nine to five.' },
      ]);
    expect(scriptedResumeLine(asked('what are your opening hours'), DEMO)).to.equal('Back to hours.');
    expect(scriptedResumeLine(asked('and the prices'), DEMO)).to.equal('Back to price.');
    expect(scriptedResumeLine(asked('the weather today'), DEMO)).to.equal("Sorry, I'm back.");
    // A keyword too long to say in the line's time is not named.
    expect(scriptedResumeLine(asked('opening times on holidays'), DEMO)).to.equal("Sorry, I'm back.");
    expect(scriptedResumeLine(state([{ role: 'agent', text: 'Hello.' }]), DEMO)).to.equal("Sorry, I'm back.");
  });

  it('lasts at most 2 s in every flite voice (real flite, the samples counted)', async () => {
    const tts = new FliteTts();
    try {
      const lines = ["Sorry, I'm back.", ...['hours', 'price', 'address', 'appointments'].map((k) => `Back to ${k}.`)];
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
