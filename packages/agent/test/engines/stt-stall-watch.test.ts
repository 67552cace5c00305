import { expect } from 'chai';
import { SttStallWatch } from '../../src/engines/stt-stall-watch.ts';

const voice = Int16Array.from({ length: 160 }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * 400 * i) / 8000)));
const quiet = new Int16Array(160);

/** Feeds `frames` 20 ms apart on a clock the test owns; returns the clock time of the first stall, if any. */
function run(
  watch: SttStallWatch,
  clock: { ms: number },
  frames: Int16Array[],
  lastMessageAtMs: (nowMs: number) => number | undefined,
): number | undefined {
  for (const frame of frames) {
    clock.ms += 20;
    if (watch.frame(frame, lastMessageAtMs(clock.ms))) return clock.ms;
  }
  return undefined;
}

const repeat = (frame: Int16Array, ms: number): Int16Array[] => Array.from({ length: ms / 20 }, () => frame);

describe('SttStallWatch: a cloud recogniser silent after the caller spoke', () => {
  it('stalls stallMs after the last voiced frame when the provider said nothing since the speech began', () => {
    const clock = { ms: 0 };
    const watch = new SttStallWatch({ stallMs: 1000, now: () => clock.ms });
    // Voice from 20 to 600 ms (last voiced frame at 600), then silence; the provider's last word came at 10 ms.
    const stalledAt = run(watch, clock, [...repeat(voice, 600), ...repeat(quiet, 3000)], () => 10);
    expect(stalledAt).to.equal(1600);
  });

  it('does not stall while the provider answers the speech (a message after it began)', () => {
    const clock = { ms: 0 };
    const watch = new SttStallWatch({ stallMs: 1000, now: () => clock.ms });
    const stalledAt = run(watch, clock, [...repeat(voice, 600), ...repeat(quiet, 3000)], (now) =>
      now >= 300 ? 300 : undefined,
    );
    expect(stalledAt).to.equal(undefined);
  });

  it('a click or a cough (voice under minVoiceMs) is not speech a provider must answer', () => {
    const clock = { ms: 0 };
    const watch = new SttStallWatch({ stallMs: 1000, minVoiceMs: 300, now: () => clock.ms });
    const stalledAt = run(watch, clock, [...repeat(voice, 200), ...repeat(quiet, 3000)], () => undefined);
    expect(stalledAt).to.equal(undefined);
  });

  it('gaps between syllables shorter than endSilenceMs do not end the speech', () => {
    const clock = { ms: 0 };
    const watch = new SttStallWatch({ stallMs: 1000, endSilenceMs: 300, now: () => clock.ms });
    const syllables = [...repeat(voice, 200), ...repeat(quiet, 200), ...repeat(voice, 200)];
    // Speech ends with the last voiced frame at 600 ms: the stall is 1000 ms after it, not after the first syllable.
    const stalledAt = run(watch, clock, [...syllables, ...repeat(quiet, 3000)], () => undefined);
    expect(stalledAt).to.equal(1600);
  });
});
