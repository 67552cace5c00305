import { expect } from 'chai';
import { BargeInDetector } from '../../src/turns/barge-in-detector.ts';
import { SpokenReply } from '../../src/turns/spoken-reply.ts';

const frame = (amplitude: number): Int16Array => new Int16Array(160).fill(amplitude);
const LOUD = frame(3000); // about -20.8 dBFS
const ECHO = frame(300); // about -40.8 dBFS… -20 dB under LOUD
const MEDIUM = frame(600); // about -34.7 dBFS: voice for the base threshold, not while speaking

describe('BargeInDetector', () => {
  it('fires once, after the minimum voice with a transcript seen, only while the agent speaks', () => {
    const detector = new BargeInDetector({ minVoiceMs: 100 });
    let fired = 0;
    for (let i = 0; i < 10; i++) detector.onCallerFrame(LOUD); // not speaking: ignored
    detector.speaking(() => fired++);
    detector.onTranscript('hold on');
    for (let i = 0; i < 4; i++) detector.onCallerFrame(LOUD);
    expect(fired).to.equal(0);
    detector.onCallerFrame(LOUD); // 5 frames = 100 ms
    expect(fired).to.equal(1);
    for (let i = 0; i < 50; i++) detector.onCallerFrame(LOUD);
    expect(fired).to.equal(1);
    expect(detector.isSpeaking).to.equal(false);
  });

  it('without a transcript needs the longer stretch of voice; gaps longer than allowed start it over', () => {
    const detector = new BargeInDetector({ minVoiceWithoutTranscriptMs: 200, maxGapFrames: 2 });
    let fired = 0;
    detector.speaking(() => fired++);
    for (let i = 0; i < 9; i++) detector.onCallerFrame(LOUD);
    for (let i = 0; i < 3; i++) detector.onCallerFrame(ECHO); // a pause: over the gap allowance
    for (let i = 0; i < 9; i++) detector.onCallerFrame(LOUD);
    expect(fired).to.equal(0);
    detector.onCallerFrame(LOUD);
    expect(fired).to.equal(1);
  });

  it('does not fire on echo 20 dB down or on medium voice under the raised threshold, even with words', () => {
    const detector = new BargeInDetector();
    let fired = 0;
    detector.speaking(() => fired++);
    detector.onTranscript('first our opening hours');
    for (let i = 0; i < 200; i++) detector.onCallerFrame(i % 2 === 0 ? ECHO : MEDIUM);
    expect(fired).to.equal(0);
  });
});

describe('SpokenReply', () => {
  it('counts clauses played to the end and the played share of the current one, before the allowance', () => {
    const reply = new SpokenReply();
    reply.clause('We are open from nine to five.');
    reply.played(reply.sent(8000), 1000);
    reply.clause('On Saturdays until noon, and never on Sundays.');
    reply.played(reply.sent(2000), 1200); // a quarter of the second clause
    reply.sent(6000);
    reply.played(8000 + 8000, 1900); // the whole of it, but too close to the clear
    expect(reply.heardText(2000)).to.equal('We are open from nine to five. On Saturdays');
    expect(reply.heardText(1150)).to.equal('We are open from nine to five.');
    expect(reply.heardText(1100)).to.equal('');
    expect(reply.heardText(5000)).to.equal(reply.text);
  });
});
