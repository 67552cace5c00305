import { expect } from 'chai';
import { createOfflineEngines } from '../../src/engines.ts';
import { ScriptedDialogue } from '../../src/scripted/scripted-dialogue.ts';
import { childPids, concat, frames, muLawRoundTrip, silence } from './audio-helpers.ts';

describe('createOfflineEngines (real flite and pocketsphinx)', function () {
  this.timeout(60_000);

  it('closes a scripted turn offline: flite asks through G.711, pocketsphinx hears, the dialogue answers', async () => {
    const engines = createOfflineEngines({ poolSize: 1 });
    try {
      const signal = AbortSignal.timeout(30_000);
      const dialogue = new ScriptedDialogue({
        answers: [
          { keyword: 'hours', text: 'We are open nine to five.' },
          { keyword: 'price', text: 'A ticket costs ten euros.' },
        ],
      });
      const spoken: Int16Array[] = [silence(300)];
      for await (const chunk of engines.tts.synthesize('What are your opening hours?', { sampleRateHz: 8000, signal }))
        spoken.push(chunk);
      const replies: string[] = [];
      for await (const transcript of engines.stt.transcribe(frames(muLawRoundTrip(concat(spoken))), {
        sampleRateHz: 8000,
        keywords: ['hours', 'price'],
        signal,
      })) {
        replies.push(dialogue.reply(transcript.text));
      }
      expect(replies).to.include('We are open nine to five.');
    } finally {
      await engines.close();
      await engines.close();
    }
    expect(await childPids('pocketsphinx')).to.deep.equal([]);
    expect(await childPids('flite')).to.deep.equal([]);
  });
});
