import type { Logger } from 'pino';

/** How the queue reaches media: the call's connection. */
export interface AudioWire {
  sendAudio(samples: Int16Array): void;
  sendMark(name: string): void;
  clear(): void;
}

/** A mark's prefix says what it is for: see `OutboundAudio.mark`. */
export type MarkPrefix = 'm' | 't' | 'p' | 'q';

export interface OutboundAudioOptions {
  wire: AudioWire;
  log: Logger;
  /** The owner epoch: after a takeover, mark names carry it (a previous owner's marks may still be reported). */
  epoch: number;
  /** The most audio published and not yet confirmed out of media. Default 1 500 ms. */
  aheadMs?: number;
  /** A pacing mark goes out behind every this much audio published, rounded down to whole 20 ms frames. Default 250 ms (240). */
  pacingMarkMs?: number;
  /** `write()` resolves only while at most this much waits here. Default 10 000 ms. */
  highWaterMs?: number;
  /** Audio that would make more than this wait here is dropped (media's own cap). Default 60 000 ms. */
  maxQueuedMs?: number;
  /** How long past its audio's estimated playout a mark report may be late before it is taken as played. Default 5 000 ms. */
  markLostGraceMs?: number;
}

type Item = { kind: 'audio'; samples: Int16Array } | { kind: 'mark'; name: string };

interface PendingMark {
  /** Absent for pacing marks: nobody waits on them. */
  settle: ((played: boolean) => void) | undefined;
  /** Samples published before the mark (set when it is published). */
  position: number;
  lostTimer: NodeJS.Timeout | undefined;
}

const SAMPLES_PER_MS = 8;
/** Media's frame: 20 ms at 8 kHz. */
const FRAME_SAMPLES = 160;

/**
 * The agent's own queue of audio for the caller, in front of media's. Engines, bots and models may
 * produce audio far faster than real time; published as it comes, it would pile up in Redis
 * (`client-output-buffer-limit pubsub` disconnects a media worker's subscriber, and every call on
 * it, at 32 MB) and in media (which drops past 60 s). So it waits here and is published at most
 * `aheadMs` ahead of what media confirmed played: a pacing mark (`q…`) follows every
 * `pacingMarkMs` of audio published, and media reports each one when the audio before it left the
 * socket (or was cleared). `write()` gives back-pressure: it resolves once no more than
 * `highWaterMs` waits here.
 *
 * Marks queue in order with the audio. `clear()` empties this queue first (its marks resolve
 * false at once), then asks media to clear its own. "Nothing queued" means both queues are
 * empty: a mark resolving `true` says exactly that for everything written before it.
 */
export class OutboundAudio {
  readonly #options: OutboundAudioOptions;
  readonly #wire: AudioWire;
  readonly #aheadSamples: number;
  readonly #pacingSamples: number;
  readonly #highWaterSamples: number;
  readonly #maxQueuedSamples: number;
  readonly #items: Item[] = [];
  readonly #marks = new Map<string, PendingMark>();
  readonly #observers = new Set<(samples: Int16Array, position: number) => void>();
  #drainWaiters: Array<() => void> = [];
  #queuedSamples = 0;
  /** Samples ever written, published, and confirmed gone from media (played or cleared). */
  #written = 0;
  #published = 0;
  #confirmed = 0;
  #sinceMark = 0;
  /** When the audio published so far should have finished playing (wall clock): a lost mark's deadline. */
  #playoutEndMs = 0;
  #markCounter = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: OutboundAudioOptions) {
    this.#options = options;
    this.#wire = options.wire;
    this.#aheadSamples = (options.aheadMs ?? 1500) * SAMPLES_PER_MS;
    // Whole 20 ms frames: media pads a partial frame before a mark with silence (the audio before a
    // mark must all leave before it is reported), so a pacing mark inside a frame would put 10 ms of
    // silence into the agent's audio at every slice (250 ms is 12.5 frames).
    const pacingFrames = Math.floor(((options.pacingMarkMs ?? 250) * SAMPLES_PER_MS) / FRAME_SAMPLES);
    this.#pacingSamples = Math.max(1, pacingFrames) * FRAME_SAMPLES;
    this.#highWaterSamples = (options.highWaterMs ?? 10_000) * SAMPLES_PER_MS;
    this.#maxQueuedSamples = (options.maxQueuedMs ?? 60_000) * SAMPLES_PER_MS;
  }

  /** Audio waiting here, not yet published (ms). */
  get queuedMs(): number {
    return this.#queuedSamples / SAMPLES_PER_MS;
  }

  /** Audio published and not yet confirmed out of media (ms): never more than `aheadMs`. */
  get aheadMs(): number {
    return (this.#published - this.#confirmed) / SAMPLES_PER_MS;
  }

  /** Samples dropped because this queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Sees each chunk as it is written, with its position (samples written before it), before any of
   * it is published: time measurement and guards watch the audio without standing in its way.
   */
  observe(observer: (samples: Int16Array, position: number) => void): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Queues 8 kHz audio for the caller; resolves once no more than the high-water mark waits here. */
  write(samples: Int16Array): Promise<void> {
    if (this.#closed || samples.length === 0) return Promise.resolve();
    if (this.#queuedSamples + samples.length > this.#maxQueuedSamples) {
      if (this.#dropped === 0) this.#options.log.warn('agent audio queue full: dropping audio');
      this.#dropped += samples.length;
      return Promise.resolve();
    }
    const position = this.#written;
    this.#items.push({ kind: 'audio', samples });
    this.#queuedSamples += samples.length;
    this.#written += samples.length;
    for (const observer of this.#observers) observer(samples, position);
    this.#pump();
    if (this.#queuedSamples <= this.#highWaterSamples) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /**
   * Queues a mark behind the audio written so far; resolves true once that audio left media's
   * socket, false if it was cleared. Prefixes: `m…` ends something the agent said (the
   * conversation state records whether it was heard), `t…` times a reply's first packet, `p…`
   * tracks how far a reply was played (barge-in), `q…` paces this queue.
   */
  mark(signal: AbortSignal, prefix: MarkPrefix = 'm'): Promise<boolean> {
    return this.#markAt(this.#written, signal, prefix);
  }

  /** As `mark`, placed right behind the sample at `position` (see `observe`), which must still wait here. */
  markAt(position: number, signal: AbortSignal, prefix: MarkPrefix): Promise<boolean> {
    return this.#markAt(position, signal, prefix);
  }

  /** Barge-in: this queue is emptied (its marks resolve false), then media drops its own. */
  clear(): void {
    if (this.#closed) return;
    for (const item of this.#items.splice(0)) if (item.kind === 'mark') this.#settle(item.name, false);
    this.#queuedSamples = 0;
    // Media drops what it holds: nothing published is ahead of playout any more.
    this.#confirmed = this.#published;
    this.#sinceMark = 0;
    this.#playoutEndMs = Date.now();
    this.#wire.clear();
    this.#releaseWriters();
  }

  /**
   * A mark report from media. Every mark is reported once, in order: the audio before it is out of
   * media (played or dropped), so more may be published. Returns false for a name this queue never
   * published (a previous owner's).
   */
  onMarkReport(name: string, played: boolean): boolean {
    const mark = this.#marks.get(name);
    if (!mark) return false;
    this.#confirmed = Math.max(this.#confirmed, mark.position);
    this.#settle(name, played);
    this.#pump();
    return true;
  }

  /** Idempotent: nothing more is published; waiting writers are released, marks resolve false. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#items.length = 0;
    this.#queuedSamples = 0;
    for (const name of [...this.#marks.keys()]) this.#settle(name, false);
    this.#observers.clear();
    this.#releaseWriters();
  }

  #markAt(position: number, signal: AbortSignal, prefix: MarkPrefix): Promise<boolean> {
    const name = `${prefix}${++this.#markCounter}${this.#options.epoch > 1 ? `.${this.#options.epoch}` : ''}`;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      if (this.#closed) return resolve(false);
      const onAbort = (): void => {
        const mark = this.#marks.get(name);
        clearTimeout(mark?.lostTimer);
        // Still counted for pacing once published; only nobody waits for it any more.
        if (mark) mark.settle = undefined;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#marks.set(name, {
        settle: (played) => {
          signal.removeEventListener('abort', onAbort);
          resolve(played);
        },
        position: 0,
        lostTimer: undefined,
      });
      this.#insertMark(position, name);
      this.#pump();
    });
  }

  /** Puts the mark among the waiting items right after `position` samples (at the head when already published). */
  #insertMark(position: number, name: string): void {
    let at = this.#published;
    for (let i = 0; i < this.#items.length; i++) {
      const item = this.#items[i] as Item;
      if (item.kind === 'mark') continue;
      if (position <= at) return void this.#items.splice(i, 0, { kind: 'mark', name });
      const end = at + item.samples.length;
      if (position < end) {
        const cut = position - at;
        this.#items.splice(
          i,
          1,
          { kind: 'audio', samples: item.samples.subarray(0, cut) },
          { kind: 'mark', name },
          { kind: 'audio', samples: item.samples.subarray(cut) },
        );
        return;
      }
      at = end;
    }
    this.#items.push({ kind: 'mark', name });
  }

  /** Publishes what the window allows, in order. */
  #pump(): void {
    while (!this.#closed && this.#items.length > 0) {
      const item = this.#items[0] as Item;
      if (item.kind === 'mark') {
        if (this.#completeFrameBefore()) continue;
        this.#items.shift();
        this.#publishMark(item.name);
        continue;
      }
      const room = Math.min(
        this.#aheadSamples - (this.#published - this.#confirmed),
        this.#pacingSamples - this.#sinceMark,
      );
      if (room <= 0) break;
      let samples = item.samples;
      if (samples.length > room) {
        this.#items[0] = { kind: 'audio', samples: samples.subarray(room) };
        samples = samples.subarray(0, room);
      } else {
        this.#items.shift();
      }
      this.#wire.sendAudio(samples);
      this.#published += samples.length;
      this.#queuedSamples -= samples.length;
      this.#sinceMark += samples.length;
      this.#playoutEndMs = Math.max(Date.now(), this.#playoutEndMs) + samples.length / SAMPLES_PER_MS;
      if (this.#sinceMark >= this.#pacingSamples) this.#publishPacingMark();
    }
    if (this.#queuedSamples <= this.#highWaterSamples) this.#releaseWriters();
  }

  /**
   * Media pads the partial frame before a mark with silence (it must all leave before the mark is
   * reported): a mark inside a frame with audio right behind it (a bot marking every chunk of a
   * reply, a timing mark 20 ms into it) moves behind the rest of that frame instead, so no silence
   * cuts into the audio. It is reported at most 20 ms later, still after all the audio before it.
   * Returns whether it moved (the head is audio again).
   */
  #completeFrameBefore(): boolean {
    const partial = this.#sinceMark % FRAME_SAMPLES;
    const next = this.#items[1];
    if (partial === 0 || next?.kind !== 'audio' || next.samples.length === 0) return false;
    const take = Math.min(FRAME_SAMPLES - partial, next.samples.length);
    const mark = this.#items[0] as Item;
    const rest = next.samples.subarray(take);
    this.#items.splice(
      0,
      2,
      { kind: 'audio', samples: next.samples.subarray(0, take) },
      mark,
      ...(rest.length > 0 ? [{ kind: 'audio' as const, samples: rest }] : []),
    );
    return true;
  }

  #publishPacingMark(): void {
    const name = `q${++this.#markCounter}${this.#options.epoch > 1 ? `.${this.#options.epoch}` : ''}`;
    this.#marks.set(name, { settle: undefined, position: 0, lostTimer: undefined });
    this.#publishMark(name);
  }

  #publishMark(name: string): void {
    const mark = this.#marks.get(name);
    if (!mark) return;
    this.#sinceMark = 0;
    mark.position = this.#published;
    // Pub/sub has no replay: a report published while our subscriber was reconnecting (a Redis
    // restart) never comes. Past the end of the audio ahead of it plus a grace, it is taken as
    // played rather than leaving the agent (and this queue) waiting for ever.
    mark.lostTimer = setTimeout(
      () => {
        if (!this.#marks.has(name)) return;
        this.#options.log.warn({ mark: name }, 'mark report never came (audio channel interrupted?): taken as played');
        this.onMarkReport(name, true);
      },
      Math.max(0, this.#playoutEndMs - Date.now()) + (this.#options.markLostGraceMs ?? 5000),
    );
    this.#wire.sendMark(name);
  }

  #settle(name: string, played: boolean): void {
    const mark = this.#marks.get(name);
    if (!mark) return;
    this.#marks.delete(name);
    clearTimeout(mark.lostTimer);
    mark.settle?.(played);
  }

  #releaseWriters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
