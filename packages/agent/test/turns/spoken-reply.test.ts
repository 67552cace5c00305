import { expect } from 'chai';
import { SpokenReply } from '../../src/turns/spoken-reply.ts';

/** One clause of four words, 500 ms (4,000 samples) sent in 100 ms chunks, each marked; none played yet. */
function reply(timed: boolean): { spoken: SpokenReply; marks: number[] } {
  const spoken = new SpokenReply();
  spoken.clause('We open at nine.');
  if (timed)
    // "We" is short and "open" long: the words are not evenly spread over the audio.
    spoken.words([
      { word: 'We', startMs: 0, endMs: 60 },
      { word: 'open', startMs: 80, endMs: 320 },
      { word: 'at', startMs: 340, endMs: 380 },
      { word: 'nine.', startMs: 400, endMs: 500 },
    ]);
  const marks: number[] = [];
  for (let i = 0; i < 5; i++) marks.push(spoken.sent(800));
  return { spoken, marks };
}

describe('SpokenReply: the heard text of a reply cut by the caller', () => {
  const clearAtMs = 10_000;
  const allowanceMs = 120;

  it("with the engine's word timings: the words whose audio was played to its end, to the word", () => {
    const { spoken, marks } = reply(true);
    spoken.played(marks[2]!, clearAtMs - 500); // 300 ms played: "We" whole, "open" not yet ended
    expect(spoken.heardText(clearAtMs, allowanceMs)).to.equal('We');
    spoken.played(marks[3]!, clearAtMs - 300); // 400 ms: "open" and "at" ended
    expect(spoken.heardText(clearAtMs, allowanceMs)).to.equal('We open at');
  });

  it("without timings: the share of the clause's samples played (the estimate the timings replace)", () => {
    const { spoken, marks } = reply(false);
    spoken.played(marks[2]!, clearAtMs - 500); // 60% of the samples: two words of four, "open" unfinished
    expect(spoken.heardText(clearAtMs, allowanceMs)).to.equal('We open');
    spoken.played(marks[3]!, clearAtMs - 300);
    expect(spoken.heardText(clearAtMs, allowanceMs)).to.equal('We open at');
  });

  it('a mark reported within the playout allowance before the clear does not count as heard', () => {
    const { spoken, marks } = reply(true);
    spoken.played(marks[3]!, clearAtMs - 50);
    expect(spoken.heardText(clearAtMs, allowanceMs)).to.equal('');
  });

  it('a clause sent and played whole is heard whole even if its timings stop short', () => {
    const spoken = new SpokenReply();
    spoken.clause('We open at nine.');
    spoken.words([{ word: 'We', startMs: 0, endMs: 60 }]);
    const end = spoken.sent(4000);
    spoken.clauseSent();
    spoken.clause('And close at five.');
    spoken.played(end, clearAtMs - 500);
    expect(spoken.heardText(clearAtMs, allowanceMs)).to.equal('We open at nine.');
    expect(spoken.heardClauses(clearAtMs, allowanceMs)).to.equal(1);
  });
});
