import type { ClockTimers } from '@voicebridge/rtp';

/** Time that moves only when the test says so; the clock's one timer fires when it is due. */
export class FakeTime implements ClockTimers {
  nowMs = 1000;
  readonly #timers = new Map<number, { dueMs: number; callback: () => void }>();
  #last = 0;
  readonly now = (): number => this.nowMs;

  setTimeout(callback: () => void, delayMs: number): unknown {
    this.#timers.set(++this.#last, { dueMs: this.nowMs + Math.max(delayMs, 1), callback });
    return this.#last;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      let next: [number, { dueMs: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) if (!next || entry[1].dueMs < next[1].dueMs) next = entry;
      if (!next || next[1].dueMs > end) break;
      this.#timers.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].dueMs);
      next[1].callback();
    }
    this.nowMs = end;
  }
}
