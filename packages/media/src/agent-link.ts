import {
  AgentToMediaSchema,
  decodeAudioFrame,
  decodeControlJson,
  encodeControl,
  FRAME_KIND_AUDIO,
  type AgentToMedia,
  type AudioFrame,
  type MediaToAgent,
} from '@voicebridge/protocol';
import type { AudioChannel, CallChannel } from '@voicebridge/channel';
import type { Logger } from 'pino';
import { AgentOwnership, type AgentOwnershipOptions } from './agent-ownership.ts';
import { FrameRing } from './frame-ring.ts';

const HELD_FRAMES_MAX = 250; // 5 s of caller audio held for an agent that is not ready (or gone)
const FRAME_MS = 20;
/** Agent audio is decoded into this (or read in place): 40 ms at 48 kHz; longer chunks get their own array. */
const SCRATCH_SAMPLES = 1920;

export interface AgentLinkOptions {
  callId: string;
  channel: AudioChannel;
  log: Logger;
  ownership?: AgentOwnershipOptions;
  /** Counters shared with the session. */
  stats: { framesToAgent: number; dropped: number; callerFramesDroppedHeld: number };
  /** The owner's audio; its samples are valid only until this returns (copy to keep). */
  onAudio: (frame: AudioFrame) => void;
  /** The owner's other control messages (ready and heartbeat are handled here). */
  onControl: (control: Exclude<AgentToMedia, { event: 'ready' | 'heartbeat' }>) => void;
  /** An owner said `ready` (the first, or a new one after a takeover): send it `start` if started. */
  onOwnerReady: () => void;
}

/**
 * The media side of a call's audio channel to its agent: caller frames out (held while no owner is
 * ready, or while the owner is absent), the owner's audio and control in, fenced by owner epoch
 * (docs/adr/0010). Frames sent to an owner that turns out gone are replayed to the next one.
 */
export class AgentLink {
  readonly #options: AgentLinkOptions;
  readonly #end: CallChannel;
  readonly #ownership: AgentOwnership;
  readonly #recent = new FrameRing(HELD_FRAMES_MAX);
  readonly #scratch = new Int16Array(SCRATCH_SAMPLES);
  #ready = false;
  #held: Buffer[] = [];
  #closed = false;

  constructor(options: AgentLinkOptions) {
    this.#options = options;
    this.#ownership = new AgentOwnership(options.ownership ?? { absentAfterMs: 0, lostAfterMs: 0 });
    this.#end = options.channel.open(options.callId, 'media', (message) => this.#onMessage(message));
  }

  /** Resolves once the channel subscription is live. */
  get subscribed(): Promise<void> {
    return this.#end.ready;
  }

  get ownerReady(): boolean {
    return this.#ready;
  }

  /** Agent messages dropped because their owner lost the call. */
  get staleDropped(): number {
    return this.#ownership.staleDropped;
  }

  send(message: MediaToAgent): void {
    if (!this.#closed) this.#end.send(encodeControl(message));
  }

  /** A caller frame: to the owner, or held for one. */
  sendAudio(message: Buffer): void {
    if (this.#closed) return;
    if (this.#ready) {
      this.#end.send(message);
      this.#recent.push(message);
      this.#options.stats.framesToAgent++;
      return;
    }
    if (this.#held.push(message) <= HELD_FRAMES_MAX) return;
    this.#held.shift();
    this.#options.stats.callerFramesDroppedHeld++;
  }

  /** The call started: an owner's quiet time counts from here at the earliest. */
  started(): void {
    this.#ownership.startedAt();
  }

  /** Once a second while started: an owner gone quiet leaves its unread caller audio held for the next one. */
  check(nowMs = Date.now()): 'ok' | 'lost' {
    const outcome = this.#ownership.check(nowMs);
    if (outcome !== 'absent') return outcome;
    this.#ready = false;
    const quietMs = nowMs - this.#ownership.lastHeardAtMs;
    this.#held = this.#recent.takeLast(Math.ceil(quietMs / FRAME_MS));
    this.#options.log.warn(
      { callId: this.#options.callId, epoch: this.#ownership.epoch, quietMs },
      'agent silent: holding the call for a new owner',
    );
    return 'ok';
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#end.close();
    this.#held = [];
    this.#recent.clear();
  }

  #onMessage(message: Buffer): void {
    if (this.#closed) return;
    if (message[0] === FRAME_KIND_AUDIO) {
      const frame = decodeAudioFrame(message, this.#scratch);
      if (!frame) this.#options.stats.dropped++;
      else if (this.#ownership.acceptsAudio(frame.ownerTag)) this.#options.onAudio(frame);
      return;
    }
    const parsed = AgentToMediaSchema.safeParse(decodeControlJson(message));
    if (!parsed.success) {
      this.#options.log.warn({ callId: this.#options.callId }, 'invalid control message from agent dropped');
      return;
    }
    const control = parsed.data;
    if (control.event === 'ready') return this.#onReady(control.epoch);
    if (!this.#ownership.accepts(control.epoch) || control.event === 'heartbeat') return;
    this.#options.onControl(control);
  }

  #onReady(epoch: number | undefined): void {
    const outcome = this.#ownership.onReady(epoch);
    if (outcome === 'stale' || (outcome === 'repeat' && this.#ready)) return;
    if (outcome === 'takeover') {
      this.#options.log.warn({ callId: this.#options.callId, epoch }, 'a new agent took the call over');
      this.send({ event: 'owner', epoch: epoch ?? 0 });
    }
    this.#ready = true;
    this.#options.onOwnerReady();
    for (const held of this.#held) this.#end.send(held);
    this.#options.stats.framesToAgent += this.#held.length;
    this.#held = [];
  }
}
