import { expect } from 'chai';
import type { TurnLatency } from '@voicebridge/protocol';
import { pino } from 'pino';
import { OutboundAudio } from '../../src/call/outbound-audio.ts';
import { frameLevelDb } from '../../src/turns/energy-vad.ts';
import { TurnTimer } from '../../src/turns/turn-timer.ts';

/**
 * The call's real outbound queue, its wire recorded: audio as sample counts, marks by prefix. The
 * timer watches what is written; marks resolve when the test says the frame left the socket.
 */
class Outlet extends OutboundAudio {
  readonly sent: Array<number | string> = [];
  readonly #published: string[] = [];

  constructor() {
    super({
      wire: {
        sendAudio: (samples) => this.sent.push(samples.length),
        sendMark: (name) => {
          this.sent.push(name.charAt(0));
          this.#published.push(name);
        },
        clear: () => undefined,
      },
      log: pino({ level: 'silent' }),
      epoch: 0,
    });
  }

  /** Reports the oldest mark the timer placed (`t…`). */
  settle(played: boolean): void {
    const index = this.#published.findIndex((name) => name.startsWith('t'));
    const [name] = this.#published.splice(index, 1);
    if (index >= 0 && name) this.onMarkReport(name, played);
  }

  /** Writes `samples` and lets the timer see them, as the call wires it. */
  send(timer: TurnTimer, samples: Int16Array): void {
    const unobserve = this.observe((chunk, position) => timer.onAgentAudio(chunk, position));
    void this.write(samples);
    unobserve();
  }
}

const voice = new Int16Array(160).fill(8000); // -12 dBFS
const quiet = new Int16Array(160).fill(30); // about -61 dBFS

describe('TurnTimer', () => {
  let nowMs: number;
  let outlet: Outlet;
  let written: TurnLatency[][];
  let timer: TurnTimer;

  beforeEach(() => {
    nowMs = 10_000;
    outlet = new Outlet();
    written = [];
    timer = new TurnTimer({
      answeredAtMs: 10_000,
      outlet,
      signal: new AbortController().signal,
      persist: (t) => written.push([...t]),
      now: () => nowMs,
    });
  });

  it('measures frame levels in dBFS', () => {
    expect(frameLevelDb(voice)).to.be.closeTo(-12.25, 0.01);
    expect(frameLevelDb(new Int16Array(160))).to.equal(-Infinity);
  });

  it("times each stage from the last voiced frame to the reply's first packet, behind a mark after its first frame", async () => {
    timer.onCallerFrame(voice, 20);
    nowMs += 20;
    timer.onCallerFrame(voice, 40); // last voiced frame at +20
    nowMs += 20;
    timer.onCallerFrame(quiet, 20);
    nowMs += 500;
    timer.heard(); // +540
    nowMs += 3;
    timer.answering(); // +543
    timer.answering(); // only the first counts
    nowMs += 100;
    outlet.send(timer, new Int16Array(800)); // +643
    outlet.send(timer, new Int16Array(400));
    expect(outlet.sent).to.deep.equal([160, 't', 640, 400]);
    nowMs += 25;
    outlet.settle(true); // +668
    await Promise.resolve();
    expect(written).to.deep.equal([
      [
        {
          turn: 1,
          voiceEndAtMs: 20,
          sttFinalAtMs: 540,
          answerAtMs: 543,
          ttsFirstAudioAtMs: 643,
          firstRtpAtMs: 668,
          interruptions: 0,
          jitterBufferMaxMs: 40,
        },
      ],
    ]);
  });

  it('a cleared reply has no first packet; the next turn closes it as it is, with its barge-in counted', async () => {
    timer.heard();
    outlet.send(timer, new Int16Array(160));
    timer.interrupted();
    outlet.settle(false);
    await Promise.resolve();
    expect(written).to.deep.equal([]);
    nowMs += 1000;
    timer.heard();
    timer.close();
    timer.close();
    expect(
      written.map((turns) =>
        turns.map((t) => ({ turn: t.turn, first: t.firstRtpAtMs, interruptions: t.interruptions })),
      ),
    ).to.deep.equal([
      [{ turn: 1, first: undefined, interruptions: 1 }],
      [
        { turn: 1, first: undefined, interruptions: 1 },
        { turn: 2, first: undefined, interruptions: 0 },
      ],
    ]);
    expect(written.at(-1)?.[1]?.voiceEndAtMs).to.equal(undefined);
  });

  it('a barge-in after the first packet went out still counts on that turn, and is written', async () => {
    timer.heard();
    outlet.send(timer, new Int16Array(320));
    outlet.settle(true);
    await Promise.resolve();
    timer.interrupted();
    expect(written.map((turns) => turns[0]?.interruptions)).to.deep.equal([0, 1]);
  });

  it('audio before any turn (the greeting) goes out whole, without a timing mark', () => {
    outlet.send(timer, new Int16Array(800));
    expect(outlet.sent).to.deep.equal([800]);
  });

  it("records each turn's usage: STT audio up to its final, TTS characters and tokens from its final to the next", async () => {
    const counters = { sttAudioSeconds: 0, ttsCharacters: 0, promptTokens: 0, completionTokens: 0 };
    const usedTimer = new TurnTimer({
      answeredAtMs: 10_000,
      outlet,
      signal: new AbortController().signal,
      persist: (t) => written.push([...t]),
      now: () => nowMs,
      usage: () => ({ ...counters, engineSwitches: 0 }),
    });
    counters.ttsCharacters += 20; // the greeting: before any turn, in the call's totals only
    counters.sttAudioSeconds += 3.24;
    usedTimer.heard();
    counters.promptTokens += 100;
    counters.completionTokens += 12;
    counters.ttsCharacters += 30;
    outlet.send(usedTimer, new Int16Array(320));
    outlet.settle(true); // the turn is complete and written at its first packet...
    await Promise.resolve();
    counters.ttsCharacters += 15; // ...while the rest of its answer is still being spoken
    counters.sttAudioSeconds += 2.5;
    usedTimer.heard();
    counters.promptTokens += 140;
    counters.completionTokens += 8;
    counters.ttsCharacters += 11;
    counters.sttAudioSeconds += 1; // heard after the last final: no turn of its own
    usedTimer.close();
    const usage = written.at(-1)?.map((t) => t.usage);
    expect(usage).to.deep.equal([
      { sttAudioSeconds: 3.24, ttsCharacters: 45, promptTokens: 100, completionTokens: 12 },
      { sttAudioSeconds: 2.5, ttsCharacters: 11, promptTokens: 140, completionTokens: 8 },
    ]);
    expect(written[0]?.[0]?.usage, 'the first write, at the first packet, has the caller side only').to.deep.equal({
      sttAudioSeconds: 3.24,
    });
  });

  it('an agent that counts nothing gets no usage on its turns', () => {
    const bare = new TurnTimer({
      answeredAtMs: 10_000,
      outlet,
      signal: new AbortController().signal,
      persist: (t) => written.push([...t]),
      now: () => nowMs,
      usage: () => ({ framesWritten: 12 }),
    });
    bare.heard();
    bare.close();
    expect(written.at(-1)?.[0]).to.not.have.property('usage');
  });

  it('after a takeover goes on numbering from the turns already recorded, reopening one left unanswered', async () => {
    const earlier: TurnLatency[] = [
      { turn: 1, sttFinalAtMs: 1000, answerAtMs: 1100, ttsFirstAudioAtMs: 1200, firstRtpAtMs: 1210, interruptions: 0 },
      { turn: 2, sttFinalAtMs: 5000, answerAtMs: 5050, interruptions: 0 },
    ];
    const resumed = new TurnTimer({
      answeredAtMs: 10_000,
      outlet,
      signal: new AbortController().signal,
      persist: (t) => written.push([...t]),
      now: () => nowMs,
      earlier,
    });
    nowMs += 9000;
    outlet.send(resumed, new Int16Array(320)); // the new owner's reply to turn 2, at +9000
    outlet.settle(true);
    await Promise.resolve();
    expect(written.at(-1)).to.deep.equal([earlier[0], { ...earlier[1], ttsFirstAudioAtMs: 9000, firstRtpAtMs: 9000 }]);
    resumed.heard();
    resumed.close();
    expect(written.at(-1)?.map((t) => t.turn)).to.deep.equal([1, 2, 3]);
    expect(earlier[1]?.firstRtpAtMs, 'the given turns are not changed').to.equal(undefined);
  });
});
