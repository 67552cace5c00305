import { fadeOut } from './fade-out.ts';

/**
 * What the agent queued for the caller: ptime-sized PCM frames and marks, in order.
 * Frames come from a small free list so the steady state allocates nothing.
 */
export type OutboundItem =
  | {
      kind: 'frame';
      samples: Int16Array;
      /** When the frame arrived if it was paced (OutboundPath, PlayoutLag.sent), else -1. */
      pacedAtMs: number;
    }
  | { kind: 'mark'; name: string };

/** Peak at or below which a frame counts as silence (−60 dBFS): where a lag cut is inaudible. */
const SILENT_PEAK = 32;

function isSilent(samples: Int16Array): boolean {
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as number;
    if (s > SILENT_PEAK || s < -SILENT_PEAK) return false;
  }
  return true;
}

export class OutboundQueue {
  readonly #frameSamples: number;
  readonly #maxFrames: number;
  readonly #items: OutboundItem[] = [];
  readonly #free: Int16Array[] = [];
  #head = 0;
  #frames = 0;

  constructor(frameSamples: number, maxFrames: number) {
    this.#frameSamples = frameSamples;
    this.#maxFrames = maxFrames;
  }

  get frameCount(): number {
    return this.#frames;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Copies a frame in; `pacedAtMs` is its arrival time when it came from a source at real time (see
   * PlayoutLag), else -1. Returns false (and drops it) when the queue already holds maxFrames.
   */
  pushFrame(frame: Int16Array, pacedAtMs = -1): boolean {
    if (this.#frames >= this.#maxFrames) return false;
    const samples = this.#free.pop() ?? new Int16Array(this.#frameSamples);
    samples.set(frame.subarray(0, this.#frameSamples));
    if (frame.length < this.#frameSamples) samples.fill(0, frame.length);
    this.#items.push({ kind: 'frame', samples, pacedAtMs });
    this.#frames++;
    return true;
  }

  pushMark(name: string): void {
    this.#items.push({ kind: 'mark', name });
  }

  peek(): OutboundItem | undefined {
    return this.#items[this.#head];
  }

  shift(): OutboundItem | undefined {
    const item = this.#items[this.#head];
    if (!item) return undefined;
    this.#head++;
    if (item.kind === 'frame') this.#frames--;
    if (this.#head > 256 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  /**
   * Drops one frame to pay back lag (PlayoutLag): a silent one among the first `window` frames if
   * there is one, else (unless `silentOnly`) the oldest. Marks stay where they are. False when
   * nothing was dropped.
   */
  dropFrame(window: number, silentOnly = false): boolean {
    let oldest = -1;
    let seen = 0;
    for (let i = this.#head; i < this.#items.length && (seen === 0 || seen < window); i++) {
      const item = this.#items[i] as OutboundItem;
      if (item.kind !== 'frame') continue;
      if (oldest < 0) oldest = i;
      seen++;
      if (seen <= window && isSilent(item.samples)) return this.#removeFrameAt(i);
    }
    return !silentOnly && oldest >= 0 && this.#removeFrameAt(oldest);
  }

  #removeFrameAt(index: number): boolean {
    const item = this.#items[index] as Extract<OutboundItem, { kind: 'frame' }>;
    if (index === this.#head) this.shift();
    else {
      this.#items.splice(index, 1);
      this.#frames--;
    }
    this.recycle(item.samples);
    return true;
  }

  /** Hands a frame's buffer back for reuse once it has been encoded. */
  recycle(samples: Int16Array): void {
    if (this.#free.length < 64) this.#free.push(samples);
  }

  /**
   * Drops everything; returns the names of the marks that were still pending. With `fadeSamples`,
   * the next frame stays, faded out over that many samples (`fadeOut`), so the audio ends without a
   * click; its mark, if any, is dropped with the others.
   */
  clear(fadeSamples = 0): string[] {
    const marks: string[] = [];
    let kept: Int16Array | undefined;
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i];
      if (item?.kind === 'mark') marks.push(item.name);
      else if (item && fadeSamples > 0 && kept === undefined) kept = item.samples;
      else if (item) this.recycle(item.samples);
    }
    this.#items.length = 0;
    this.#head = 0;
    this.#frames = 0;
    if (kept !== undefined) {
      fadeOut(kept, fadeSamples);
      this.#items.push({ kind: 'frame', samples: kept, pacedAtMs: -1 });
      this.#frames = 1;
    }
    return marks;
  }
}
