/**
 * The last `capacity` caller frames sent to the agent, so that when the owner turns out to be gone
 * the frames it may never have read can be replayed to the next one.
 *
 * Frames are copied into one buffer allocated at the first push (capacity × the largest frame seen),
 * not kept by reference: holding 5 s of per-frame Buffers made every frame survive two young-
 * generation collections and die in the old one, which at hundreds of calls turned into scavenges of
 * several milliseconds — straight into the send pacing (bench: `pnpm bench`, capacity).
 */
export class FrameRing {
  readonly #capacity: number;
  #storage: Buffer | undefined;
  #slotBytes = 0;
  readonly #lengths: Uint32Array;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be an integer ≥ 1, got ${capacity}`);
    this.#capacity = capacity;
    this.#lengths = new Uint32Array(capacity);
  }

  /** Frames held now. */
  get size(): number {
    return this.#size;
  }

  push(frame: Uint8Array): void {
    if (frame.length > this.#slotBytes) this.#grow(frame.length);
    const storage = this.#storage as Buffer;
    storage.set(frame, this.#next * this.#slotBytes);
    this.#lengths[this.#next] = frame.length;
    this.#next = (this.#next + 1) % this.#capacity;
    this.#size = Math.min(this.#size + 1, this.#capacity);
  }

  /** Copies of the newest `count` frames (fewer if not held), oldest first; empties the ring. */
  takeLast(count: number): Buffer[] {
    const n = Math.max(0, Math.min(count, this.#size));
    const out: Buffer[] = [];
    const storage = this.#storage;
    for (let i = n; i > 0 && storage; i--) {
      const slot = (this.#next - i + this.#capacity) % this.#capacity;
      const start = slot * this.#slotBytes;
      out.push(Buffer.from(storage.subarray(start, start + (this.#lengths[slot] as number))));
    }
    this.clear();
    return out;
  }

  /** Forgets the frames; the storage is kept for reuse. */
  clear(): void {
    this.#next = 0;
    this.#size = 0;
  }

  /** A frame longer than any before: wider slots, the frames held so far moved over. */
  #grow(slotBytes: number): void {
    const held = this.takeLast(this.#size);
    this.#slotBytes = slotBytes;
    this.#storage = Buffer.alloc(this.#capacity * slotBytes);
    for (const frame of held) this.push(frame);
  }
}
