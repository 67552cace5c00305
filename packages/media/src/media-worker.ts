import {
  VoicebridgeError,
  type AllocateParams,
  type AllocateResult,
  type CloseResult,
  type MediaEvent,
  type TerminationReason,
} from '@voicebridge/protocol';
import type { AudioChannel } from '@voicebridge/channel';
import type { MediaClock } from '@voicebridge/rtp';
import type { Logger } from 'pino';
import { MediaSession, MediaSessionState } from './media-session.ts';
import type { PortPool } from './port-pool.ts';

export interface MediaWorkerOptions {
  pool: PortPool;
  clock: MediaClock;
  channel: AudioChannel;
  /** What goes into SDP: never the wildcard bind address. */
  advertisedAddress: string;
  log: Logger;
  onEvent: (event: MediaEvent) => void;
  /** A started call with no RTP or RTCP for this long is ended with `media-timeout`; 0 = never. */
  mediaTimeoutMs?: number;
  /** Inbound jitter buffer cap for calls whose allocate names none; default 60 ms (ADR 0006). */
  jitterMaxDepthMs?: number;
  /** RTCP report interval before randomisation; default 5 s (RFC 3550 §6.2). Tests shorten it. */
  rtcpIntervalMs?: number;
}

const TIMEOUT_CHECK_MS = 1000;

/** Owns every media session of this process; the control server calls into it. */
export class MediaWorker {
  readonly #options: MediaWorkerOptions;
  readonly #sessions = new Map<string, MediaSession>();
  readonly #timedOut = new Set<string>();
  #timeoutCheck: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: MediaWorkerOptions) {
    this.#options = options;
    const timeoutMs = options.mediaTimeoutMs ?? 0;
    if (timeoutMs > 0) {
      // One timer per worker, not per call.
      this.#timeoutCheck = setInterval(() => this.#checkTimeouts(timeoutMs), Math.min(TIMEOUT_CHECK_MS, timeoutMs));
      this.#timeoutCheck.unref();
    }
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
      jitterMaxDepthMs: this.#options.jitterMaxDepthMs,
      rtcpIntervalMs: this.#options.rtcpIntervalMs,
      onAgentHangup: (reason) => this.#options.onEvent({ event: 'hangup', callId: params.callId, by: 'agent', reason }),
    });
    this.#sessions.set(params.callId, session);
    try {
      // The agent's `ready` must find us subscribed: answer only once it would.
      await session.ready;
    } catch (error) {
      this.closeCall(params.callId, 'error');
      throw new VoicebridgeError('VB_MEDIA_UNAVAILABLE', 'audio channel subscription failed', { cause: error });
    }
    log.debug({ port: ports.port, codec: params.codec.name, remote: params.remoteRtp }, 'media allocated');
    return { localRtp: { address: this.#options.advertisedAddress, port: ports.port } };
  }

  start(callId: string, answeredAtMs: number): void {
    const session = this.#sessions.get(callId);
    if (!session) throw new VoicebridgeError('VB_CALL_NOT_FOUND', `no media for call ${callId}`);
    session.start(answeredAtMs);
  }

  /** Idempotent: closing an unknown or closed call is not an error (a BYE and a CANCEL may race). */
  closeCall(callId: string, reason: TerminationReason): CloseResult {
    const session = this.#sessions.get(callId);
    if (!session) return {};
    this.#sessions.delete(callId);
    this.#timedOut.delete(callId);
    session.close(reason);
    this.#options.pool.release(session.port);
    const stats = session.mediaStats;
    this.#options.log.info({ callId, reason, ...session.stats, ...stats }, 'media closed');
    return { stats };
  }

  /** Ends every call but keeps serving (the worker itself stays open). */
  closeAll(reason: TerminationReason): void {
    for (const callId of [...this.#sessions.keys()]) this.closeCall(callId, reason);
  }

  close(reason: TerminationReason = 'drain'): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timeoutCheck);
    this.#timeoutCheck = undefined;
    for (const callId of [...this.#sessions.keys()]) this.closeCall(callId, reason);
  }

  #checkTimeouts(timeoutMs: number): void {
    const now = Date.now();
    for (const [callId, session] of this.#sessions) {
      if (session.state !== MediaSessionState.Started || this.#timedOut.has(callId)) continue;
      if (now - session.lastReceivedAtMs < timeoutMs) continue;
      // Reported once; signaling sends BYE and then closes the media.
      this.#timedOut.add(callId);
      this.#options.log.info({ callId, silentMs: now - session.lastReceivedAtMs }, 'no RTP: media timeout');
      this.#options.onEvent({ event: 'hangup', callId, by: 'bridge', reason: 'media-timeout' });
    }
  }
}
