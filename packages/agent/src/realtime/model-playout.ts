import type { CallContext } from '../agents/agent-kind.ts';

/** 20 ms at 8 kHz: the model's audio is re-framed to this, and one progress mark follows each frame. */
const FRAME_SAMPLES = 160;
const SAMPLES_PER_MS = 8;

interface Item {
  id: string;
  /** Samples written to the call (whole frames, and the last short piece once flushed). */
  written: number;
  /** Samples confirmed out of media's socket: the mark behind them was reported played. */
  played: number;
  /** A partial frame waiting for the next delta. */
  pending: Int16Array;
  done: boolean;
  transcript: string | undefined;
  /** Set once the item was cut by a barge-in. */
  truncatedMs: number | undefined;
}

export interface TruncatedItem {
  itemId: string;
  /** What the caller's socket sent of this item, in that item's own audio time. */
  audioEndMs: number;
  /** The item's audio written in all. */
  writtenMs: number;
}

/**
 * The model's audio on its way to the caller, per assistant item: item id → frames → marks. Deltas
 * of any size are cut into 20 ms frames (the last short piece is written at `finish`, not held for
 * a full frame); behind each frame a progress mark (`p`) is queued, and media reports it once that
 * frame left the socket. So what an item's caller heard is known to one frame, from the marks, not
 * from a clock: that is the `audio_end_ms` a barge-in truncates the item to.
 */
export class ModelPlayout {
  readonly #items = new Map<string, Item>();
  /** Items in the order their audio was written; the oldest still playing first. */
  readonly #order: string[] = [];
  #call: CallContext | undefined;
  #epoch = new AbortController();
  framesWritten = 0;

  attach(call: CallContext): void {
    this.#call = call;
  }

  /** Appends a delta of 8 kHz PCM to `itemId`'s audio; false when there is no call to play to yet. */
  write(itemId: string, pcm: Int16Array): boolean {
    if (!this.#call) return false;
    const item = this.#item(itemId);
    if (item.truncatedMs !== undefined) return true;
    let samples = pcm;
    if (item.pending.length > 0) {
      samples = new Int16Array(item.pending.length + pcm.length);
      samples.set(item.pending);
      samples.set(pcm, item.pending.length);
    }
    let at = 0;
    for (; at + FRAME_SAMPLES <= samples.length; at += FRAME_SAMPLES)
      this.#frame(item, samples.slice(at, at + FRAME_SAMPLES));
    item.pending = samples.slice(at);
    return true;
  }

  /** `response.output_audio.done`: the item's last short piece goes out now. */
  finish(itemId: string): void {
    const item = this.#items.get(itemId);
    if (!item || item.done) return;
    item.done = true;
    if (item.pending.length > 0 && item.truncatedMs === undefined) this.#frame(item, item.pending);
    item.pending = new Int16Array(0);
  }

  /** Resolves true once all of `itemId`'s audio so far left the socket, false if it was cleared. */
  async played(itemId: string): Promise<boolean> {
    const call = this.#call;
    if (!call || !this.#items.has(itemId)) return false;
    return call.audio.mark(AbortSignal.any([call.signal, this.#epoch.signal]));
  }

  setTranscript(itemId: string, transcript: string): void {
    this.#item(itemId).transcript = transcript;
  }

  transcriptOf(itemId: string): string | undefined {
    return this.#items.get(itemId)?.transcript;
  }

  /** Is any model audio still waiting or playing? */
  get speaking(): boolean {
    return this.#order.some((id) => {
      const item = this.#items.get(id);
      return item !== undefined && item.truncatedMs === undefined && item.played < item.written;
    });
  }

  /**
   * Barge-in: clears the call's queue and says, per item not yet wholly played, how much of it
   * the caller heard (0 for items queued and never started). Later deltas of those items are dropped.
   */
  cut(): TruncatedItem[] {
    const call = this.#call;
    const cut: TruncatedItem[] = [];
    for (const id of this.#order) {
      const item = this.#items.get(id);
      if (!item || item.truncatedMs !== undefined) continue;
      if (item.done && item.played >= item.written) continue;
      item.truncatedMs = Math.floor(item.played / SAMPLES_PER_MS);
      item.pending = new Int16Array(0);
      cut.push({ itemId: id, audioEndMs: item.truncatedMs, writtenMs: Math.floor(item.written / SAMPLES_PER_MS) });
    }
    call?.audio.clear();
    // Marks still pending belong to the cleared audio: their late reports must not count as played.
    this.#epoch.abort();
    this.#epoch = new AbortController();
    return cut;
  }

  /** The heard share of an item cut at `audioEndMs`: the transcript's words in proportion. */
  heardText(itemId: string, audioEndMs: number, writtenMs: number): string {
    const transcript = this.#items.get(itemId)?.transcript;
    if (!transcript || writtenMs <= 0 || audioEndMs <= 0) return '';
    const words = transcript.split(/\s+/).filter(Boolean);
    return words.slice(0, Math.round((words.length * Math.min(audioEndMs, writtenMs)) / writtenMs)).join(' ');
  }

  #item(id: string): Item {
    let item = this.#items.get(id);
    if (!item) {
      item = {
        id,
        written: 0,
        played: 0,
        pending: new Int16Array(0),
        done: false,
        transcript: undefined,
        truncatedMs: undefined,
      };
      this.#items.set(id, item);
      this.#order.push(id);
      // Bounded: items long played out are forgotten.
      if (this.#order.length > 64) this.#items.delete(this.#order.shift() ?? '');
    }
    return item;
  }

  #frame(item: Item, frame: Int16Array): void {
    const call = this.#call;
    if (!call) return;
    void call.audio.write(frame);
    item.written += frame.length;
    this.framesWritten++;
    const position = item.written;
    const signal = AbortSignal.any([call.signal, this.#epoch.signal]);
    call.audio.mark(signal, 'p').then(
      (played) => {
        if (played && item.truncatedMs === undefined) item.played = Math.max(item.played, position);
      },
      () => undefined,
    );
  }
}
