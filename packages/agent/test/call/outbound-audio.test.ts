import { expect } from 'chai';
import { pino } from 'pino';
import { OutboundAudio, type OutboundAudioOptions } from '../../src/call/outbound-audio.ts';

type Sent = { audio: number } | { mark: string } | 'clear';

/** The queue with its wire recorded; media's reports are given by the test. */
function queue(options: Omit<OutboundAudioOptions, 'wire' | 'log' | 'epoch'> = {}) {
  const sent: Sent[] = [];
  const audio = new OutboundAudio({
    ...options,
    log: pino({ level: 'silent' }),
    epoch: 0,
    wire: {
      sendAudio: (samples) => sent.push({ audio: samples.length }),
      sendMark: (name) => sent.push({ mark: name }),
      clear: () => sent.push('clear'),
    },
  });
  const published = (): number => sent.reduce((n, s) => n + (typeof s === 'object' && 'audio' in s ? s.audio : 0), 0);
  const marks = (): string[] => sent.flatMap((s) => (typeof s === 'object' && 'mark' in s ? [s.mark] : []));
  return { audio, sent, published, marks };
}

const ms = (n: number): Int16Array => new Int16Array(n * 8);

describe('OutboundAudio (the agent-side queue in front of media)', () => {
  const never = new AbortController().signal;

  it('publishes no more than aheadMs before media confirms playout, a pacing mark behind every slice', () => {
    const { audio, published, marks } = queue({ aheadMs: 960, pacingMarkMs: 240 });
    void audio.write(ms(5000));
    expect(published()).to.equal(7680);
    expect(marks()).to.have.length(4);
    expect(audio.queuedMs).to.equal(4040);
    expect(audio.aheadMs).to.equal(960);
    // Media played the first slice: one more slice may go.
    audio.onMarkReport(marks()[0] as string, true);
    expect(published()).to.equal(9600);
    expect(audio.aheadMs).to.equal(960);
    audio.close();
  });

  it('pacing marks fall between whole 20 ms frames (media pads a partial frame before a mark with silence)', () => {
    const { audio, sent } = queue({ aheadMs: 1000, pacingMarkMs: 250 });
    void audio.write(ms(1000));
    const slices = sent.flatMap((s) => (typeof s === 'object' && 'audio' in s ? [s.audio] : []));
    expect(slices).to.deep.equal([1920, 1920, 1920, 1920, 320]);
    expect(sent.filter((s) => typeof s === 'object' && 'mark' in s)).to.have.length(4);
    audio.close();
  });

  it('write() holds the writer back above the high-water mark and lets it go as media plays', async () => {
    const { audio, marks } = queue({ aheadMs: 480, pacingMarkMs: 240, highWaterMs: 1040 });
    let released = false;
    void audio.write(ms(2000)).then(() => (released = true));
    await Promise.resolve();
    expect(released).to.equal(false);
    audio.onMarkReport(marks()[0] as string, true);
    audio.onMarkReport(marks()[1] as string, true);
    await Promise.resolve();
    expect(released).to.equal(true);
    expect(audio.queuedMs).to.equal(1040);
    audio.close();
  });

  it('drops what would make more than maxQueuedMs wait, and counts it', () => {
    const { audio } = queue({ aheadMs: 100, maxQueuedMs: 1000 });
    void audio.write(ms(900));
    void audio.write(ms(500));
    expect(audio.dropped).to.equal(500 * 8);
    audio.close();
  });

  it('a mark resolves true once media reports the audio before it played; marks keep their place among the audio', async () => {
    const { audio, sent } = queue({ aheadMs: 10_000, pacingMarkMs: 10_000 });
    void audio.write(ms(20));
    const played = audio.mark(never);
    void audio.write(ms(20));
    expect(sent).to.deep.equal([{ audio: 160 }, { mark: 'm1' }, { audio: 160 }]);
    audio.onMarkReport('m1', true);
    expect(await played).to.equal(true);
    audio.close();
  });

  it('a mark inside a 20 ms frame moves behind the rest of that frame when audio follows (media would pad it with silence); with none, it goes at once', () => {
    const alone = queue({ aheadMs: 10_000, pacingMarkMs: 10_000 });
    void alone.audio.write(new Int16Array(100));
    void alone.audio.mark(never);
    expect(alone.sent).to.deep.equal([{ audio: 100 }, { mark: 'm1' }]);
    alone.audio.close();

    const { audio, sent } = queue({ aheadMs: 40, pacingMarkMs: 40 });
    void audio.write(new Int16Array(420));
    void audio.mark(never);
    void audio.write(new Int16Array(300));
    expect(sent).to.deep.equal([{ audio: 320 }, { mark: 'q1' }]);
    audio.onMarkReport('q1', true);
    expect(sent.slice(2)).to.deep.equal([{ audio: 100 }, { audio: 60 }, { mark: 'm2' }, { audio: 160 }]);
    audio.close();
  });

  it('markAt places a mark inside audio still waiting, splitting it', () => {
    const { audio, sent } = queue({ aheadMs: 1000, pacingMarkMs: 1000 });
    void audio.write(ms(2000));
    expect(sent).to.deep.equal([{ audio: 8000 }, { mark: 'q1' }]);
    void audio.markAt(8000 + 160, never, 't');
    audio.onMarkReport('q1', true);
    // Every mark paces: the timing mark counts as one.
    expect(sent.slice(2)).to.deep.equal([{ audio: 160 }, { mark: 't2' }, { audio: 7840 }]);
    audio.close();
  });

  it('clear() empties its own queue first (its marks resolve false at once), then clears media', async () => {
    const { audio, sent, marks } = queue({ aheadMs: 500, pacingMarkMs: 250 });
    void audio.write(ms(3000));
    const waiting = audio.mark(never);
    audio.clear();
    expect(await waiting).to.equal(false);
    expect(sent.at(-1)).to.equal('clear');
    expect(audio.queuedMs).to.equal(0);
    expect(audio.aheadMs).to.equal(0);
    // Media's reports of the marks it dropped change nothing; the next audio goes out at once.
    for (const name of marks()) audio.onMarkReport(name, false);
    void audio.write(ms(200));
    expect(sent.at(-1)).to.deep.equal({ audio: 1600 });
    audio.close();
  });

  it('a mark report that never comes is taken as played after the playout estimate plus the grace', async () => {
    const { audio } = queue({ markLostGraceMs: 10 });
    expect(await audio.mark(never)).to.equal(true);
    audio.close();
  });

  it('close() resolves waiting marks false and releases writers; nothing is published after it', async () => {
    const { audio, sent } = queue({ aheadMs: 100, highWaterMs: 100 });
    const writing = audio.write(ms(1000));
    const mark = audio.mark(never);
    audio.close();
    audio.close();
    await writing;
    expect(await mark).to.equal(false);
    const before = sent.length;
    void audio.write(ms(100));
    expect(sent.length).to.equal(before);
  });
});
