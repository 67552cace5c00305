import { expect } from 'chai';
import { pcmuDecode, pcmuEncode } from '@voicebridge/rtp';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { BargeInDetector } from '../../src/turns/barge-in-detector.ts';
import { frameLevelDb } from '../../src/turns/energy-vad.ts';
import { SpokenReply } from '../../src/turns/spoken-reply.ts';

const FRAME = 160;
const frame = (amplitude: number): Int16Array => new Int16Array(FRAME).fill(amplitude);
const LOUD = frame(3000); // about -20.8 dBFS
const ECHO = frame(300); // about -40.8 dBFS… -20 dB under LOUD
const MEDIUM = frame(600); // about -34.7 dBFS: voice for the base threshold, not while speaking

/** Real flite speech at 8 kHz, scaled by `gainDb`, through G.711 μ-law both ways, as 20 ms frames. */
async function fliteFrames(text: string, voice: string, gainDb: number): Promise<Int16Array[]> {
  const chunks: Int16Array[] = [];
  const tts = new FliteTts();
  for await (const chunk of tts.synthesize(text, { sampleRateHz: 8000, voice, signal: new AbortController().signal }))
    chunks.push(Int16Array.from(chunk));
  await tts.close?.();
  const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  const gain = 10 ** (gainDb / 20);
  const g711 = new Uint8Array(all.length);
  pcmuEncode(
    all.map((s) => Math.round(s * gain)),
    g711,
  );
  const decoded = new Int16Array(all.length);
  pcmuDecode(g711, decoded);
  const frames: Int16Array[] = [];
  for (let i = 0; i + FRAME <= decoded.length; i += FRAME) frames.push(decoded.slice(i, i + FRAME));
  return frames;
}

/** The active speech level (ITU-T P.56 in spirit): the mean power of frames within 30 dB of the loudest. */
function activeLevelDb(frames: Int16Array[]): number {
  const levels = frames.map(frameLevelDb);
  const top = Math.max(...levels);
  const active = levels.filter((l) => l > top - 30);
  return 10 * Math.log10(active.reduce((sum, l) => sum + 10 ** (l / 10), 0) / active.length);
}

/** Frames until the detector fires, counted from the first frame over -45 dBFS (the onset); undefined if never. */
function framesToFire(detector: BargeInDetector, frames: Int16Array[]): number | undefined {
  let fired = false;
  detector.speaking(() => (fired = true));
  const onset = frames.findIndex((f) => frameLevelDb(f) > -45);
  for (let i = 0; i < frames.length; i++) {
    detector.onCallerFrame(frames[i]!);
    if (fired) return i - onset + 1;
  }
  return undefined;
}

describe('BargeInDetector', () => {
  it('fires once, after the minimum voice, only while the agent speaks', () => {
    const detector = new BargeInDetector({ minVoiceMs: 100 });
    let fired = 0;
    for (let i = 0; i < 10; i++) detector.onCallerFrame(LOUD); // not speaking: ignored
    detector.speaking(() => fired++);
    for (let i = 0; i < 4; i++) detector.onCallerFrame(LOUD);
    expect(fired).to.equal(0);
    detector.onCallerFrame(LOUD); // 5 frames = 100 ms
    expect(fired).to.equal(1);
    for (let i = 0; i < 50; i++) detector.onCallerFrame(LOUD);
    expect(fired).to.equal(1);
    expect(detector.isSpeaking).to.equal(false);
  });

  it('counts voice over gaps between syllables within the window; a recogniser cue lowers the voice needed', () => {
    const detector = new BargeInDetector({ minVoiceMs: 140, windowMs: 300 });
    let fired = 0;
    detector.speaking(() => fired++);
    // Two frames of voice, two of pause: 7 voiced frames take 13 frames, inside the 15-frame window.
    for (let i = 0; i < 12; i++) detector.onCallerFrame(i % 4 < 2 ? LOUD : ECHO);
    expect(fired).to.equal(0);
    detector.onCallerFrame(LOUD);
    expect(fired).to.equal(1);
    detector.speaking(() => fired++);
    detector.onTranscript('hold');
    for (let i = 0; i < 4; i++) detector.onCallerFrame(LOUD);
    expect(fired).to.equal(1);
    detector.onCallerFrame(LOUD); // 100 ms with the cue
    expect(fired).to.equal(2);
  });

  it("the recogniser's speech-start event is a cue: 100 ms of voice fires; echo under the raised threshold never does", () => {
    const detector = new BargeInDetector({ minVoiceMs: 140, windowMs: 300 });
    let fired = 0;
    detector.onSpeechStart(); // not speaking: no cue kept for the next reply
    detector.speaking(() => fired++);
    for (let i = 0; i < 6; i++) detector.onCallerFrame(LOUD);
    expect(fired, '120 ms without the cue').to.equal(0);
    detector.onSpeechStart();
    expect(fired).to.equal(1);
    detector.speaking(() => fired++);
    // The provider's VAD may take our echo for speech: its event alone never stops the reply.
    detector.onSpeechStart();
    for (let i = 0; i < 200; i++) detector.onCallerFrame(i % 2 === 0 ? ECHO : MEDIUM);
    expect(fired).to.equal(1);
  });

  it('voice spread thinner than the window allows never fires', () => {
    const detector = new BargeInDetector({ minVoiceMs: 140, windowMs: 300 });
    let fired = 0;
    detector.speaking(() => fired++);
    for (let i = 0; i < 500; i++) detector.onCallerFrame(i % 3 === 0 ? LOUD : ECHO); // 5 of every 15
    expect(fired).to.equal(0);
  });

  it('does not fire on echo 20 dB down or on medium voice under the raised threshold, even with words', () => {
    const detector = new BargeInDetector();
    let fired = 0;
    detector.speaking(() => fired++);
    detector.onTranscript('first our opening hours');
    for (let i = 0; i < 200; i++) detector.onCallerFrame(i % 2 === 0 ? ECHO : MEDIUM);
    expect(fired).to.equal(0);
  });

  it('on a noisy line voice must stand over the noise: steady noise at -30 dBFS stops firing once learnt', () => {
    const detector = new BargeInDetector();
    const noise = (): Int16Array => Int16Array.from({ length: FRAME }, () => Math.round((Math.random() - 0.5) * 3600));
    expect(frameLevelDb(noise())).to.be.within(-32, -28);
    for (let i = 0; i < 1000; i++) detector.onCallerFrame(noise()); // 20 s of the line before the reply
    let fired = 0;
    detector.speaking(() => fired++);
    for (let i = 0; i < 200; i++) detector.onCallerFrame(noise());
    expect(fired).to.equal(0);
    for (let i = 0; i < 10; i++) detector.onCallerFrame(frame(6000)); // -14.8 dBFS: voice over it
    expect(fired).to.equal(1);
  });
});

describe('BargeInDetector on real flite speech through G.711', function () {
  this.timeout(30_000);
  const SENTENCE = 'Hold on, hold on please, I have another question.';

  for (const voice of ['rms', 'slt', 'awb', 'kal']) {
    it(`${voice}: speech at phone level (-26 dB active) fires within 200 ms of its onset`, async () => {
      const raw = await fliteFrames(SENTENCE, voice, 0);
      const frames = await fliteFrames(SENTENCE, voice, -26 - activeLevelDb(raw));
      expect(activeLevelDb(frames)).to.be.within(-27, -25);
      const frames20 = framesToFire(new BargeInDetector(), frames);
      expect(frames20, 'never fired').to.not.equal(undefined);
      expect(frames20! * 20, 'ms from onset').to.be.at.most(200);
    });

    it(`${voice}: the agent's own voice echoed 20 dB down never fires, at the loudest flite level`, async () => {
      const answer =
        'First, our opening hours are nine to five on weekdays. Second, on Saturdays we open at ten. Third, on Sundays we are closed all day.';
      const frames = await fliteFrames(answer, voice, -20);
      expect(framesToFire(new BargeInDetector(), frames)).to.equal(undefined);
    });
  }
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
