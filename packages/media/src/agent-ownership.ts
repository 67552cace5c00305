import { ownerTagOf } from '@voicebridge/protocol';

export interface AgentOwnershipOptions {
  /** With no message from the owner for this long, it is taken for gone and the call is held. 0 = never. */
  absentAfterMs: number;
  /** With no message from any owner for this long, the call is lost (`agent-lost`). 0 = never. */
  lostAfterMs: number;
}

/** What `onReady` found: the owner of a higher epoch took over, the same one repeated itself, or a stale one spoke. */
export type ReadyOutcome = 'first' | 'takeover' | 'repeat' | 'stale';

/**
 * The media worker's view of who drives a call (docs/adr/0010): the highest owner epoch that said
 * `ready`. Messages from a lower epoch, and audio whose owner tag is not the current owner's, come
 * from an agent that lost the call and are dropped. The owner's last word times its absence: the
 * session holds the call (silence out, caller audio buffered) while the owner is absent, and ends it
 * once it has been lost for `lostAfterMs`.
 *
 *   NoOwner ── ready(e) ──► Owned(e) ── quiet absentAfterMs ──► Absent(e) ── quiet lostAfterMs ──► lost
 *                              ▲  └──── ready(e' > e) ───┐          │
 *                              └─────────────────────────┴── ready(e' > e) ─┘
 */
export class AgentOwnership {
  readonly #options: AgentOwnershipOptions;
  #epoch = -1;
  #lastHeardAtMs: number;
  #absent = false;
  staleDropped = 0;

  constructor(options: AgentOwnershipOptions, nowMs = Date.now()) {
    this.#options = options;
    this.#lastHeardAtMs = nowMs;
  }

  /** The current owner's epoch; undefined before any `ready`. */
  get epoch(): number | undefined {
    return this.#epoch < 0 ? undefined : this.#epoch;
  }

  get absent(): boolean {
    return this.#absent;
  }

  get lastHeardAtMs(): number {
    return this.#lastHeardAtMs;
  }

  onReady(epoch: number | undefined, nowMs = Date.now()): ReadyOutcome {
    const e = epoch ?? 0;
    if (e < this.#epoch) {
      this.staleDropped++;
      return 'stale';
    }
    const outcome: ReadyOutcome =
      this.#epoch < 0 ? 'first' : e > this.#epoch ? 'takeover' : this.#absent ? 'takeover' : 'repeat';
    this.#epoch = e;
    this.#lastHeardAtMs = nowMs;
    this.#absent = false;
    return outcome;
  }

  /**
   * Any other control message: true when it comes from the current owner (and counts as a sign of
   * life), or when no owner said `ready` yet (nothing to fence against).
   */
  accepts(epoch: number | undefined, nowMs = Date.now()): boolean {
    if (this.#epoch >= 0 && (epoch ?? 0) !== this.#epoch) {
      this.staleDropped++;
      return false;
    }
    this.#lastHeardAtMs = nowMs;
    return true;
  }

  /** An audio frame's owner tag (flags bits 1-7): true when it is the current owner's. */
  acceptsAudio(tag: number | undefined): boolean {
    if (this.#epoch < 0 || (tag ?? 0) === ownerTagOf(this.#epoch)) return true;
    this.staleDropped++;
    return false;
  }

  /**
   * Called about once a second. Resolves what changed: `absent` once when the owner went quiet,
   * `lost` (every call from then on) once nobody spoke for `lostAfterMs`.
   */
  check(nowMs = Date.now()): 'ok' | 'absent' | 'lost' {
    const quietMs = nowMs - this.#lastHeardAtMs;
    if (this.#options.lostAfterMs > 0 && quietMs >= this.#options.lostAfterMs) return 'lost';
    if (this.#absent || this.#options.absentAfterMs <= 0 || quietMs < this.#options.absentAfterMs) return 'ok';
    this.#absent = true;
    return 'absent';
  }

  /** The call started (ACK): quiet time counts from here at the earliest. */
  startedAt(nowMs = Date.now()): void {
    this.#lastHeardAtMs = Math.max(this.#lastHeardAtMs, nowMs);
  }
}
