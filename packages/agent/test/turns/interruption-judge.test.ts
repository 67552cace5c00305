import { expect } from 'chai';
import { BargeInDetector } from '../../src/turns/barge-in-detector.ts';
import { InterruptionJudge, isBackchannel, wordsOf } from '../../src/turns/interruption-judge.ts';
import { SpokenReply } from '../../src/turns/spoken-reply.ts';
import { repeatEvery } from '../../../../test/support/wait-for.ts';

/** A 20 ms frame of a 400 Hz tone at `db` dBFS (RMS). */
function tone(db: number): Int16Array {
  const amplitude = 32768 * Math.SQRT2 * 10 ** (db / 20);
  return Int16Array.from({ length: 160 }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 400 * i) / 8000)));
}
const SILENCE = new Int16Array(160);

describe('InterruptionJudge: was the barge-in an interruption, or noise the reply resumes over', () => {
  it('backchannels are words of the list only, whatever the case and punctuation', () => {
    expect(wordsOf('Mm-hm, okay.')).to.deep.equal(['mm-hm', 'okay']);
    expect(isBackchannel('Uh-huh.')).to.equal(true);
    expect(isBackchannel('')).to.equal(true);
    expect(isBackchannel('yeah okay')).to.equal(true);
    expect(isBackchannel('okay wait')).to.equal(false);
  });

  it('a short burst and then quiet: noise, once the window passed', async () => {
    const judge = new InterruptionJudge(8, { resumeAfterMs: 100, quietMs: 50 });
    for (let i = 0; i < 3; i++) judge.onFrame(true);
    const startedMs = Date.now();
    expect(await judge.verdict).to.equal('noise');
    expect(Date.now() - startedMs).to.be.at.least(90);
  });

  it('a backchannel recognised and then quiet: backchannel', async () => {
    const judge = new InterruptionJudge(8, { resumeAfterMs: 50, quietMs: 20 });
    judge.onTranscript('mm hm');
    expect(await judge.verdict).to.equal('backchannel');
  });

  it('words that are no backchannel make it an interruption at once', async () => {
    const judge = new InterruptionJudge(8, { resumeAfterMs: 60_000 });
    judge.onTranscript('mm wait');
    expect(await judge.verdict).to.equal('interruption');
  });

  it('voice adding up to confirmVoiceMs makes it an interruption, gaps or not', async () => {
    const judge = new InterruptionJudge(7, { confirmVoiceMs: 600, resumeAfterMs: 60_000 });
    for (let i = 0; i < 22; i++) judge.onFrame(i % 3 !== 0);
    expect(judge.pending).to.equal(true);
    for (let i = 0; i < 10; i++) judge.onFrame(true);
    expect(judge.pending).to.equal(false);
    expect(await judge.verdict).to.equal('interruption');
  });

  it('a caller still talking at maxJudgeMs (under the confirmation) is interrupting', async () => {
    const judge = new InterruptionJudge(0, { confirmVoiceMs: 60_000, resumeAfterMs: 50, quietMs: 40, maxJudgeMs: 200 });
    const stopTalking = repeatEvery(10, () => judge.onFrame(true));
    try {
      expect(await judge.verdict).to.equal('interruption');
    } finally {
      stopTalking();
    }
  });

  it('close() ends a pending judgement as an interruption', async () => {
    const judge = new InterruptionJudge(8, { resumeAfterMs: 60_000 });
    judge.close();
    expect(await judge.verdict).to.equal('interruption');
  });
});

describe('BargeInDetector judging what fired it', () => {
  it('judges with the voice that fired it and the words that cued it; a final of backchannels after a resume is absorbed', async () => {
    const detector = new BargeInDetector({ judge: { resumeAfterMs: 50, quietMs: 20 } });
    let fired = 0;
    detector.speaking(() => fired++);
    detector.onTranscript('uh huh');
    for (let i = 0; i < 5 && fired === 0; i++) detector.onCallerFrame(tone(-20));
    expect(fired).to.equal(1);
    const verdict = detector.judge();
    detector.onCallerFrame(SILENCE);
    expect(detector.absorbs('uh huh'), 'while judged').to.equal(true);
    expect(await verdict).to.equal('backchannel');
    detector.speaking(() => fired++);
    expect(detector.absorbs('Uh-huh.'), 'during the resumed reply').to.equal(true);
    expect(detector.absorbs('what about sundays'), 'a question').to.equal(false);
    detector.replyOver();
    expect(detector.absorbs('mm'), 'right after the reply').to.equal(true);
  });

  it('words that cued the barge-in make the judge call it an interruption', async () => {
    const detector = new BargeInDetector({ judge: { resumeAfterMs: 60_000 } });
    detector.speaking(() => undefined);
    detector.onTranscript('hold on');
    for (let i = 0; i < 5; i++) detector.onCallerFrame(tone(-20));
    expect(await detector.judge()).to.equal('interruption');
    expect(detector.absorbs('okay')).to.equal(false);
  });
});

describe('SpokenReply.heardClauses', () => {
  it('counts the clauses played to their end, not one with no audio yet', () => {
    const reply = new SpokenReply();
    reply.clause('First clause here.');
    reply.played(reply.sent(1600), 1000);
    reply.clause('Second clause.');
    reply.played(reply.sent(800), 1100);
    reply.clause('Third, not synthesised yet.');
    expect(reply.heardClauses(1000 + 120, 120)).to.equal(1);
    expect(reply.heardClauses(1100 + 120, 120)).to.equal(2);
    expect(reply.heardClauses(5000, 120)).to.equal(2);
    expect(reply.heardClauses(1000, 120)).to.equal(0);
  });
});
