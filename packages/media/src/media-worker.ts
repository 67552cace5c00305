import {
  VoicebridgeError,
  type AllocateParams,
  type AllocateResult,
  type MediaEvent,
  type TerminationReason,
} from '@voicebridge/protocol';
import type { AudioChannel } from '@voicebridge/channel';
import type { MediaClock } from '@voicebridge/rtp';
import type { Logger } from 'pino';
import { MediaSession } from './media-session.ts';
import type { PortPool } from './port-pool.ts';

export interface MediaWorkerOptions {
  pool: PortPool;
  clock: MediaClock;
  channel: AudioChannel;
  /** What goes into SDP: never the wildcard bind address. */
  advertisedAddress: string;
  log: Logger;
  onEvent: (event: MediaEvent) => void;
}

/** Owns every media session of this process; the control server calls into it. */
export class MediaWorker {
  readonly #options: MediaWorkerOptions;
  readonly #sessions = new Map<string, MediaSession>();
  #closed = false;

  constructor(options: MediaWorkerOptions) {
    this.#options = options;
  }

  get callCount(): number {
    return this.#sessions.size;
  }

  session(callId: string): MediaSession | undefined {
    return this.#sessions.get(callId);
  }

  async allocate(params: AllocateParams): Promise<AllocateResult> {
    if (this.#closed) throw new VoicebridgeError('VB_CLOSED', 'media worker is shutting down');
    const existing = this.#sessions.get(params.callId);
    if (existing) return { localRtp: { address: this.#options.advertisedAddress, port: existing.port } };
    const ports = await this.#options.pool.allocate();
    if (!ports) throw new VoicebridgeError('VB_NO_MEDIA_PORT', 'no free RTP port pair');
    if (this.#closed) {
      this.#options.pool.release(ports.port);
      throw new VoicebridgeError('VB_CLOSED', 'media worker is shutting down');
    }
    const log = this.#options.log.child({ callId: params.callId });
    const session = new MediaSession({
      callId: params.callId,
      ports,
      params,
      channel: this.#options.channel,
      clock: this.#options.clock,
      log,
      onAgentHangup: (reason) => this.#options.onEvent({ event: 'hangup', callId: params.callId, by: 'agent', reason }),
    });
    this.#sessions.set(params.callId, session);
    log.debug({ port: ports.port, codec: params.codec.name, remote: params.remoteRtp }, 'media allocated');
    return { localRtp: { address: this.#options.advertisedAddress, port: ports.port } };
  }

  start(callId: string, answeredAtMs: number): void {
    const session = this.#sessions.get(callId);
    if (!session) throw new VoicebridgeError('VB_CALL_NOT_FOUND', `no media for call ${callId}`);
    session.start(answeredAtMs);
  }

  /** Idempotent: closing an unknown or closed call is not an error (a BYE and a CANCEL may race). */
  closeCall(callId: string, reason: TerminationReason): void {
    const session = this.#sessions.get(callId);
    if (!session) return;
    this.#sessions.delete(callId);
    session.close(reason);
    this.#options.pool.release(session.port);
    this.#options.log.debug({ callId, reason, ...session.stats }, 'media closed');
  }

  close(reason: TerminationReason = 'drain'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const callId of [...this.#sessions.keys()]) this.closeCall(callId, reason);
  }
}
