import { expect } from 'chai';
import type { AudioFrame } from '@voicebridge/protocol';
import { waitForCallee } from '../../src/turns/greeting-wait.ts';

/** The caller's frames as the call delivers them: observers see each 20 ms frame in turn. */
class FrameSource {
  readonly #observers = new Set<(frame: AudioFrame) => void>();

  observe = (observer: (frame: AudioFrame) => void): (() => void) => {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  };

  get observers(): number {
    return this.#observers.size;
  }

  push(samples: Int16Array, frames: number): void {
    for (let i = 0; i < frames; i++)
      for (const observer of [...this.#observers])
        observer({ sampleRateHz: 8000, sampleOffset: 0, samples, filled: false });
  }
}

const VOICE = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 8000))); // ≈ -15 dBFS
const SILENCE = new Int16Array(160);

async function settledAfterMicrotasks(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return settled;
}

describe('waitForCallee: the greeting of a call we placed waits for the callee', () => {
  it('waits through the callee\'s "Hello?" and ends 600 ms of silence after it', async () => {
    const source = new FrameSource();
    const waiting = waitForCallee(source.observe, new AbortController().signal);
    source.push(VOICE, 25); // 500 ms of "Hello?"
    source.push(SILENCE, 29); // 580 ms: a pause inside the words, not their end
    expect(await settledAfterMicrotasks(waiting)).to.equal(false);
    source.push(SILENCE, 1);
    expect(await settledAfterMicrotasks(waiting)).to.equal(true);
    expect(source.observers).to.equal(0);
  });

  it('greets after 1.5 s of silence when the callee says nothing', async () => {
    const source = new FrameSource();
    const waiting = waitForCallee(source.observe, new AbortController().signal);
    source.push(SILENCE, 74);
    expect(await settledAfterMicrotasks(waiting)).to.equal(false);
    source.push(SILENCE, 1);
    expect(await settledAfterMicrotasks(waiting)).to.equal(true);
  });

  it('speech resets the silence: words after a short pause are waited for too', async () => {
    const source = new FrameSource();
    const waiting = waitForCallee(source.observe, new AbortController().signal);
    source.push(VOICE, 10);
    source.push(SILENCE, 20);
    source.push(VOICE, 10); // "Hello? … yes?"
    source.push(SILENCE, 29);
    expect(await settledAfterMicrotasks(waiting)).to.equal(false);
    source.push(SILENCE, 1);
    expect(await settledAfterMicrotasks(waiting)).to.equal(true);
  });

  it('a callee that keeps talking is waited for at most maxWaitMs', async () => {
    const source = new FrameSource();
    const waiting = waitForCallee(source.observe, new AbortController().signal, { maxWaitMs: 100 });
    source.push(VOICE, 200);
    await waiting;
    expect(source.observers).to.equal(0);
  });

  it('the call ending ends the wait and lets go of the frames', async () => {
    const source = new FrameSource();
    const abort = new AbortController();
    const waiting = waitForCallee(source.observe, abort.signal);
    expect(source.observers).to.equal(1);
    abort.abort();
    await waiting;
    expect(source.observers).to.equal(0);
  });
});
