import {
  VoicebridgeError,
  type ErrorCode,
  type AllocateParams,
  type DtmfParams,
  type SendDtmfParams,
  type TransferProgressParams,
  type AllocateResult,
  type CloseResult,
  type MediaEvent,
  type TerminationReason,
  type UpdateParams,
} from '@voicebridge/protocol';
import type { AudioChannel } from '@voicebridge/channel';
import type { MediaClock } from '@voicebridge/rtp';
import type { Logger } from 'pino';
import { agentRequestEvent, relayTransferProgress } from './agent-requests.ts';
import { CallRecorder } from './call-recorder.ts';
import { MediaSession, MediaSessionState } from './media-session.ts';
import { RecordingRetention } from './recording-retention.ts';
import type { PortPool } from './port-pool.ts';
import { SrtpPorts } from './srtp-ports.ts';

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
  /** Where recordings of calls whose allocate asks for one go; none are made without it. */
  recordingsDir?: string;
  /**
   * Agent ownership (docs/adr/0010): an owner quiet for `absentAfterMs` is taken for gone (the call is
   * held for a new one); a call with no owner heard for `lostAfterMs` is ended with `agent-lost`. 0 = never.
   */
  agentOwnership?: { absentAfterMs: number; lostAfterMs: number };
  /** Told of each session as it closes, with its final figures (MediaMetrics). */
  onSessionClosed?: (session: MediaSession) => void;
}

const TIMEOUT_CHECK_MS = 1000;
/** A held call may be silent far longer (an inactive stream sends nothing at all). */
export const HOLD_TIMEOUT_FACTOR = 10;

/** Owns every media session of this process; the control server calls into it. */
export class MediaWorker {
  readonly #options: MediaWorkerOptions;
  readonly #sessions = new Map<string, MediaSession>();
  /** SRTP calls' socket wrappers, for the count of packets that failed authentication or replay checks. */
  readonly #srtp = new Map<string, SrtpPorts>();
  readonly #timedOut = new Set<string>();
  readonly #recorders = new Map<string, CallRecorder>();
  /** Recordings still being finished (their last audio and header written). */
  readonly #finishing = new Set<Promise<unknown>>();
  readonly #retention: RecordingRetention | undefined;
  #timeoutCheck: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: MediaWorkerOptions) {
    this.#options = options;
    const timeoutMs = options.mediaTimeoutMs ?? 0;
    const ownership = options.agentOwnership;
    const checkOwners = ownership !== undefined && (ownership.absentAfterMs > 0 || ownership.lostAfterMs > 0);
    if (timeoutMs > 0 || checkOwners) {
      // One timer per worker, not per call.
      const everyMs = Math.min(TIMEOUT_CHECK_MS, ...[timeoutMs, ownership?.absentAfterMs ?? 0].filter((v) => v > 0));
      this.#timeoutCheck = setInterval(() => {
        if (timeoutMs > 0) this.#checkTimeouts(timeoutMs);
        if (checkOwners) this.#checkAgents();
      }, everyMs);
      this.#timeoutCheck.unref();
    }
    if (options.recordingsDir !== undefined) {
      this.#retention = new RecordingRetention({ dir: options.recordingsDir, log: options.log });
      this.#retention.start();
    }
  }

  /** Resolves once every closed call's recording file is complete (shutdown awaits it). */
  async recordingsSettled(): Promise<void> {
    await Promise.allSettled([...this.#finishing]);
  }

  get callCount(): number {
    return this.#sessions.size;
  }

  /** The live sessions (metrics read their figures once per interval). */
  sessions(): IterableIterator<MediaSession> {
    return this.#sessions.values();
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
    const recorder = this.#recorderFor(params, log);
    const session = new MediaSession({
      recorder,
      callId: params.callId,
      // SDES-SRTP sits between the sockets and the session; the keys stay inside SrtpPorts.
      ports: params.srtp ? this.#srtpPorts(params.callId, new SrtpPorts(ports, params.srtp)) : ports,
      params,
      channel: this.#options.channel,
      clock: this.#options.clock,
      log,
      jitterMaxDepthMs: this.#options.jitterMaxDepthMs,
      rtcpIntervalMs: this.#options.rtcpIntervalMs,
      ownership: this.#options.agentOwnership,
      onAgentRequest: (control) => this.#options.onEvent(agentRequestEvent(params.callId, control)),
    });
    this.#sessions.set(params.callId, session);
    try {
      // The agent's `ready` must find us subscribed: answer only once it would.
      await session.ready;
    } catch (error) {
      this.closeCall(params.callId, 'error');
      throw new VoicebridgeError('VB_MEDIA_UNAVAILABLE', 'audio channel subscription failed', { cause: error });
    }
    log.debug(
      { port: ports.port, codec: params.codec.name, remote: params.remoteRtp, srtp: params.srtp?.suite ?? false },
      'media allocated',
    );
    return { localRtp: { address: this.#options.advertisedAddress, port: ports.port } };
  }

  start(callId: string, answeredAtMs: number): void {
    const session = this.#sessions.get(callId);
    if (!session) throw new VoicebridgeError('VB_CALL_NOT_FOUND', `no media for call ${callId}`);
    session.start(answeredAtMs);
  }

  /** A re-INVITE/UPDATE changed the session (address, codec, direction/hold). */
  update(params: UpdateParams): void {
    const session = this.#sessions.get(params.callId);
    if (!session) throw new VoicebridgeError('VB_CALL_NOT_FOUND', `no media for call ${params.callId}`);
    session.update(params);
    this.#options.log.info(
      { callId: params.callId, remote: params.remoteRtp, codec: params.codec.name, direction: params.direction },
      'media updated',
    );
  }

  /** A digit signaling received in a SIP INFO: reported to the agent unless RTP already did. */
  dtmf(params: DtmfParams): void {
    const session = this.#sessions.get(params.callId);
    if (!session) throw new VoicebridgeError('VB_CALL_NOT_FOUND', `no media for call ${params.callId}`);
    session.dtmfFromSignaling(params.digit, params.durationMs);
  }

  /** Key presses to the caller asked for outside the agent (the Twilio-compatible route's `<Play digits>`). */
  sendDtmf(params: SendDtmfParams): void {
    const session = this.#sessions.get(params.callId);
    if (!session) throw new VoicebridgeError('VB_CALL_NOT_FOUND', `no media for call ${params.callId}`);
    const refused = session.sendDtmf(params.digits);
    if (refused) throw new VoicebridgeError(refused.code as ErrorCode, refused.message);
  }

  /** How a transfer the call's agent asked for is going: passed on to the agent. */
  transferProgress(params: TransferProgressParams): void {
    const session = this.#sessions.get(params.callId);
    if (!session) throw new VoicebridgeError('VB_CALL_NOT_FOUND', `no media for call ${params.callId}`);
    relayTransferProgress(session, params);
  }

  /** Idempotent: closing an unknown or closed call is not an error (a BYE and a CANCEL may race). */
  closeCall(callId: string, reason: TerminationReason): CloseResult {
    const session = this.#sessions.get(callId);
    if (!session) return {};
    this.#sessions.delete(callId);
    this.#timedOut.delete(callId);
    session.close(reason);
    this.#options.pool.release(session.port);
    this.#options.onSessionClosed?.(session);
    const stats = session.mediaStats;
    const recorder = this.#recorders.get(callId);
    if (recorder) {
      this.#recorders.delete(callId);
      const finishing = recorder.close();
      this.#finishing.add(finishing);
      void finishing.finally(() => this.#finishing.delete(finishing));
    }
    const srtp = this.#srtp.get(callId);
    this.#srtp.delete(callId);
    this.#options.log.info(
      { callId, reason, ...session.stats, ...stats, ...(srtp && { srtpDropped: srtp.dropped }) },
      'media closed',
    );
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
    this.#retention?.close();
    for (const callId of [...this.#sessions.keys()]) this.closeCall(callId, reason);
  }

  #recorderFor(params: AllocateParams, log: Logger): CallRecorder | undefined {
    if (!params.recording) return undefined;
    const dir = this.#options.recordingsDir;
    if (dir === undefined) {
      log.warn('the number records calls but this media worker has no recordings directory');
      return undefined;
    }
    const recorder = new CallRecorder({
      dir,
      callId: params.callId,
      codec: params.codec.name,
      retentionDays: params.recording.retentionDays,
      startMs: performance.now(),
      log,
    });
    this.#recorders.set(params.callId, recorder);
    return recorder;
  }

  #checkAgents(): void {
    const now = Date.now();
    for (const [callId, session] of this.#sessions) {
      if (this.#timedOut.has(callId) || session.checkAgent(now) !== 'lost') continue;
      // Reported once, like a media timeout; signaling sends BYE and then closes the media.
      this.#timedOut.add(callId);
      this.#options.log.warn({ callId }, 'no agent owns the call: agent-lost');
      this.#options.onEvent({ event: 'hangup', callId, by: 'bridge', reason: 'agent-lost' });
    }
  }

  #srtpPorts(callId: string, ports: SrtpPorts): SrtpPorts {
    this.#srtp.set(callId, ports);
    return ports;
  }

  #checkTimeouts(timeoutMs: number): void {
    const now = Date.now();
    for (const [callId, session] of this.#sessions) {
      if (session.state !== MediaSessionState.Started || this.#timedOut.has(callId)) continue;
      if (now - session.lastReceivedAtMs < (session.onHold ? timeoutMs * HOLD_TIMEOUT_FACTOR : timeoutMs)) continue;
      // Reported once; signaling sends BYE and then closes the media.
      this.#timedOut.add(callId);
      this.#options.log.info({ callId, silentMs: now - session.lastReceivedAtMs }, 'no RTP: media timeout');
      this.#options.onEvent({ event: 'hangup', callId, by: 'bridge', reason: 'media-timeout' });
    }
  }
}
