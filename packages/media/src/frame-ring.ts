/**
 * The last `capacity` caller frames sent to the agent, kept by reference (no copies), so that when
 * the owner turns out to be gone the frames it may never have read can be replayed to the next one.
 */
export class FrameRing {
  readonly #frames: (Buffer | undefined)[];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#frames = new Array<Buffer | undefined>(capacity).fill(undefined);
  }

  push(frame: Buffer): void {
    this.#frames[this.#next] = frame;
    this.#next = (this.#next + 1) % this.#frames.length;
    this.#size = Math.min(this.#size + 1, this.#frames.length);
  }

  /** The newest `count` frames (fewer if not held), oldest first; empties the ring. */
  takeLast(count: number): Buffer[] {
    const n = Math.max(0, Math.min(count, this.#size));
    const out: Buffer[] = [];
    const capacity = this.#frames.length;
    for (let i = n; i > 0; i--) out.push(this.#frames[(this.#next - i + capacity) % capacity] as Buffer);
    this.clear();
    return out;
  }

  clear(): void {
    this.#frames.fill(undefined);
    this.#next = 0;
    this.#size = 0;
  }
}
