import { expect } from 'chai';
import { normalisedWords, StablePartial, wordsDiffer, type StableClock } from '../../src/turns/stable-partial.ts';

/** A clock the test steps: timers fire in order as `advance` passes their time. */
class SteppedClock implements StableClock {
  #nowMs = 0;
  #timers: Array<{ atMs: number; fire: () => void }> = [];

  now(): number {
    return this.#nowMs;
  }

  setTimer(ms: number, fire: () => void): () => void {
    const timer = { atMs: this.#nowMs + ms, fire };
    this.#timers.push(timer);
    return () => (this.#timers = this.#timers.filter((t) => t !== timer));
  }

  advance(ms: number): void {
    const endMs = this.#nowMs + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.atMs <= endMs).sort((a, b) => a.atMs - b.atMs)[0];
      if (next === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#nowMs = next.atMs;
      next.fire();
    }
    this.#nowMs = endMs;
  }

  get pending(): number {
    return this.#timers.length;
  }
}

describe('stable interim transcripts', () => {
  it('compares words only: case, punctuation and spacing do not make a difference, apostrophes in words do', () => {
    expect(normalisedWords('  Do you open, on  Sunday? ')).to.equal('do you open on sunday');
    expect(normalisedWords("It’s 'quoted' - isn't it")).to.equal("it's quoted isn't it");
    expect(wordsDiffer('Book a table.', 'book a table')).to.equal(false);
    expect(wordsDiffer('book a table', 'book a table for two'), 'an added word').to.equal(true);
    expect(wordsDiffer('book a table', 'book the table'), 'a changed word').to.equal(true);
    expect(wordsDiffer('book a table', 'book table'), 'a dropped word').to.equal(true);
    expect(wordsDiffer("it's open", 'its open')).to.equal(true);
  });

  function tracker(stableMs = 200): { clock: SteppedClock; stable: string[]; partial: StablePartial } {
    const clock = new SteppedClock();
    const stable: string[] = [];
    const partial = new StablePartial({ stableMs, onStable: (text) => stable.push(text), clock });
    return { clock, stable, partial };
  }

  it('is stable once the same words held for stableMs, once per wording, with the text as given', () => {
    const { clock, stable, partial } = tracker();
    partial.interim('book a');
    clock.advance(150);
    partial.interim('book a table');
    clock.advance(150);
    partial.interim('Book a table.'); // the same words: the stretch goes on
    expect(stable).to.deep.equal([]);
    clock.advance(50);
    expect(stable).to.deep.equal(['book a table']);
    clock.advance(1000);
    partial.interim('book a table');
    clock.advance(1000);
    expect(stable, 'not again for the same words').to.have.length(1);
    partial.interim('book a table for two');
    clock.advance(200);
    expect(stable).to.deep.equal(['book a table', 'book a table for two']);
  });

  it("the caller's voice keeps the words from being stable until it stopped for stableMs", () => {
    const { clock, stable, partial } = tracker();
    partial.interim('book a table');
    for (let i = 0; i < 20; i++) {
      clock.advance(20);
      partial.voice();
    }
    expect(stable, 'still talking after 400 ms').to.deep.equal([]);
    clock.advance(199);
    expect(stable).to.deep.equal([]);
    clock.advance(1);
    expect(stable).to.deep.equal(['book a table']);
    expect(clock.pending, 'one timer at a time, none left').to.equal(0);
  });

  it("a provider's end-of-turn on an interim makes it stable at once; empty interims and a reset forget the words", () => {
    const { clock, stable, partial } = tracker();
    partial.interim('');
    partial.interim(' , ');
    clock.advance(500);
    expect(stable).to.deep.equal([]);
    partial.interim('two please', true);
    expect(stable).to.deep.equal(['two please']);
    partial.interim('three please');
    partial.reset();
    clock.advance(500);
    expect(stable).to.deep.equal(['two please']);
    expect(clock.pending).to.equal(0);
  });
});
