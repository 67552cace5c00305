import type { RemoteInfo } from 'node:dgram';
import {
  type AgentToMedia,
  type AllocateParams,
  type AudioFrame,
  type MediaStats,
  type MediaToAgent,
  type TerminationReason,
  type UpdateParams,
} from '@voicebridge/protocol';
import type { AudioChannel } from '@voicebridge/channel';
import {
  emptyRtpPacket,
  encoderFor,
  isRtcp,
  parseRtp,
  type ClockSlot,
  type JitterBufferStats,
  type MediaClock,
} from '@voicebridge/rtp';
import type { Logger } from 'pino';
import { AgentLink } from './agent-link.ts';
import type { AgentOwnershipOptions } from './agent-ownership.ts';
import { agentStartEvent } from './agent-start.ts';
import type { CallRecorder } from './call-recorder.ts';
import { DtmfInbound } from './dtmf-inbound.ts';
import { DtmfOutbound } from './dtmf-outbound.ts';
import { INBOUND_FRAME_MS, InboundPath } from './inbound-path.ts';
import { OutboundPath } from './outbound-path.ts';
import { OutboundSender } from './outbound-sender.ts';
import { playoutTargetFrames } from './playout-lag.ts';
import type { MediaPorts } from './srtp-ports.ts';
import { RtcpSession } from './rtcp-session.ts';
import { RtpLatch } from './rtp-latch.ts';
import { RtpSender } from './rtp-sender.ts';

const SAMPLE_RATE_HZ = 8000;
/** ADR 0006: every millisecond of jitter buffer adds straight to the agent's turn latency. */
export const DEFAULT_JITTER_MAX_DEPTH_MS = 60;
const OUTBOUND_FRAMES_MAX = 3000; // 60 s of queued agent audio
/** The agent's `clear` (barge-in) fades its voice out over 20 ms instead of cutting it (`fadeOut`). */
const CLEAR_FADE_SAMPLES = 160;
const COMFORT_NOISE_PT = 13; // RFC 3389

export interface MediaSessionOptions {
  callId: string;
  ports: MediaPorts;
  params: AllocateParams;
  channel: AudioChannel;
  clock: MediaClock;
  log: Logger;
  /** Jitter buffer cap when the allocate request names none; default 60 ms. */
  jitterMaxDepthMs?: number;
  /** RTCP report interval before §6.3.1's randomisation; default 5 s (RFC 3550 §6.2). */
  rtcpIntervalMs?: number;
  /** Records the call when its number asks for it (owned and closed by the worker). */
  recorder?: CallRecorder;
  /** When the owning agent counts as absent, and when the call as lost (docs/adr/0010); default never. */
  ownership?: AgentOwnershipOptions;
  /** The agent ended the call (signaling sends BYE) or asked for a transfer (signaling sends REFER). */
  onAgentRequest: (control: Extract<AgentToMedia, { event: 'hangup' | 'transfer' }>) => void;
}

/**
 * One call's media: from allocation on, receives RTP into a jitter buffer whose in-order 20 ms 8 kHz
 * frames go to the agent on arrival; once started, sends the agent's audio (or silence) every ptime
 * (OutboundSender: a talkspurt's first frame at once). All on the worker's shared clock: one slot
 * when ptime is 20 ms, a second one for sending otherwise, and one per talkspurt under way.
 *
 *   Allocated ── start (ACK) ──► Started ── close ──► Closed
 *       └──────────────── close ────────────────────────┘
 */
export enum MediaSessionState {
  Allocated = 'allocated',
  Started = 'started',
  Closed = 'closed',
}

export class MediaSession {
  readonly callId: string;
  readonly port: number;
  #state = MediaSessionState.Allocated;
  readonly #options: MediaSessionOptions;
  readonly #agent: AgentLink;
  readonly #frameSamples: number;
  readonly #inbound: InboundPath;
  readonly #rtcp: RtcpSession;
  readonly #latch: RtpLatch;
  readonly #outboundPath: OutboundPath;
  readonly #rtpOut: RtpSender;
  readonly #sender: OutboundSender;
  readonly #dtmfIn = new DtmfInbound(SAMPLE_RATE_HZ, (digit, durationMs) =>
    this.#toAgent({ event: 'dtmf', digit, durationMs }),
  );
  readonly #dtmfOut: DtmfOutbound | undefined; // when telephone-event was negotiated
  /** Each received packet's header is parsed into this one record (read before the next arrives). */
  readonly #parsed = emptyRtpPacket();
  /** Inbound playout every 20 ms from allocation on; also sends when ptime is 20 ms. */
  #inboundSlot: ClockSlot | undefined;
  /** Sends every ptime when ptime is not 20 ms. */
  #sendSlot: ClockSlot | undefined;
  #answeredAtMs = 0;
  readonly stats = {
    packetsReceived: 0,
    packetsSent: 0,
    framesToAgent: 0,
    framesFromAgent: 0,
    dropped: 0,
    foreignDropped: 0,
    callerFramesDroppedHeld: 0,
  };
  /** The caller holds the call (our direction lacks send): no frames up, no agent audio out. Read-only outside. */
  onHold = false;
  /** When RTP or RTCP last arrived (or the session was created): the media timeout's reference. */
  lastReceivedAtMs = Date.now();

  constructor(options: MediaSessionOptions) {
    this.#options = options;
    this.callId = options.callId;
    this.port = options.ports.port;
    const codec = options.params.codec.name;
    const jitterMaxDepthMs = options.params.jitterMaxDepthMs ?? options.jitterMaxDepthMs ?? DEFAULT_JITTER_MAX_DEPTH_MS;
    this.#inbound = new InboundPath({
      codec,
      maxDepthMs: jitterMaxDepthMs,
      emit: (message) => this.#toAgentAudio(message),
    });
    this.#frameSamples = (SAMPLE_RATE_HZ / 1000) * options.params.ptimeMs;
    const lagTarget = playoutTargetFrames(jitterMaxDepthMs, options.params.ptimeMs);
    this.#outboundPath = new OutboundPath(this.#frameSamples, OUTBOUND_FRAMES_MAX, lagTarget, options.clock);
    const eventPt = options.params.telephoneEventPayloadType;
    this.#dtmfOut = eventPt === undefined ? undefined : new DtmfOutbound(eventPt, options.params.ptimeMs);
    this.#agent = new AgentLink({
      callId: options.callId,
      channel: options.channel,
      log: options.log,
      ownership: options.ownership,
      stats: this.stats,
      onAudio: (frame) => this.#onAgentAudio(frame),
      onControl: (control) => this.#onAgentControl(control),
      onOwnerReady: () => {
        if (this.#state !== MediaSessionState.Started) return;
        this.#sendStart();
        if (this.onHold) this.#toAgent({ event: 'hold' });
      },
    });
    const remote = options.params.remoteRtp;
    this.#latch = new RtpLatch({ sdp: remote, mode: options.params.rtpLatching });
    this.#rtpOut = new RtpSender({
      socket: options.ports.rtp,
      frameSamples: this.#frameSamples,
      target: () => this.#latch.target,
      onSent: (bytes) => {
        this.stats.packetsSent++;
        this.#rtcp.onSent(bytes);
      },
    });
    this.#applyParams(options.params);
    this.#sender = new OutboundSender({
      clock: options.clock,
      ptimeMs: options.params.ptimeMs,
      rtp: this.#rtpOut,
      queue: this.#outboundPath.queue,
      lag: this.#outboundPath.lag,
      dtmf: this.#dtmfOut,
      recorder: options.recorder,
      // Before the caller's packets latch a path the agent's audio waits in the queue: nothing is sent.
      active: () => this.#state === MediaSessionState.Started && !this.onHold && this.#latch.target !== undefined,
      onMarksPlayed: (names) => this.#reportPlayedMarks(names),
    });
    this.#rtcp = new RtcpSession({
      socket: options.ports.rtcp,
      target: (heard) => this.#latch.rtcpTarget(heard, this.#options.params.remoteRtcp),
      ssrc: this.#rtpOut.ssrc,
      cname: `voicebridge-${this.#rtpOut.ssrc.toString(16)}`,
      intervalMs: options.rtcpIntervalMs,
      rtpTimestampAt: (nowMs) => this.#sender.timestampAt(nowMs),
      log: options.log,
      acceptFrom: (address) => this.#latch.acceptRtcp(address),
    });
    options.ports.rtp.on('message', (packet, rinfo) => {
      // Sends due on the shared clock go out before this packet is handled (MediaClock.poll).
      options.clock.poll();
      this.#onRtp(packet, rinfo);
    });
    // A send to an unreachable peer must cost a log line, not the worker (an unhandled 'error').
    for (const socket of [options.ports.rtp, options.ports.rtcp]) {
      socket.on('error', (error) => options.log.debug({ err: error }, 'RTP/RTCP socket error'));
    }
    this.#inboundSlot = options.clock.add(INBOUND_FRAME_MS, (at) => this.#inboundTick(at));
    options.ports.rtcp.on('message', (_packet, from) => {
      if (this.#latch.acceptRtcp(from.address)) this.lastReceivedAtMs = Date.now();
    });
  }

  get state(): MediaSessionState {
    return this.#state;
  }

  /** Resolves once this session receives from its agent (its channel subscription is live). */
  get ready(): Promise<void> {
    return this.#agent.subscribed;
  }

  /** The inbound jitter buffer's counters (late, duplicate, concealed…): benchmarks and diagnostics. */
  get jitterStats(): Readonly<JitterBufferStats> {
    return this.#inbound.jitter.stats;
  }

  /** The inbound jitter buffer's depth now, ms (metrics sample it once per interval). */
  get jitterDepthMs(): number {
    return this.#inbound.jitter.depthMs;
  }

  /** RTP/RTCP figures for the call record (RFC 3550 Appendix A) plus the jitter buffer's. */
  get mediaStats(): MediaStats {
    const jitter = this.#inbound.jitter;
    const rec = this.#options.recorder;
    return {
      ...this.#rtcp.stats,
      framesConcealed: jitter.stats.framesFilled,
      jitterBufferMaxMs: jitter.maxDepthMs,
      framesDroppedLate: this.#outboundPath.lag.dropped,
      ...(this.stats.callerFramesDroppedHeld > 0 && { callerFramesDroppedHeld: this.stats.callerFramesDroppedHeld }),
      ...(rec && { recording: { path: rec.path, durationMs: rec.durationMs } }),
      ...(this.#latch.latched && { remoteRtp: this.#latch.latched }),
    };
  }

  /** The call is confirmed: start sending every ptime and tell the agent. */
  start(answeredAtMs: number): void {
    if (this.#state !== MediaSessionState.Allocated) return;
    this.#state = MediaSessionState.Started;
    this.#answeredAtMs = answeredAtMs;
    if (this.stats.packetsReceived === 0) this.lastReceivedAtMs = Date.now();
    const ptimeMs = this.#options.params.ptimeMs;
    if (ptimeMs !== INBOUND_FRAME_MS) this.#sendSlot = this.#options.clock.add(ptimeMs, (at) => this.#sender.tick(at));
    this.#latch.startWindow(performance.now());
    this.#agent.started();
    if (this.#agent.ownerReady) this.#sendStart();
  }

  /** re-INVITE/UPDATE: new address, codec, direction (ptime stays); relatch; hold drops caller frames, pauses ours. */
  update(params: UpdateParams): void {
    if (this.#state === MediaSessionState.Closed) return;
    const previous = this.#options.params;
    this.#applyParams({ ...previous, ...params, ptimeMs: previous.ptimeMs });
    if (params.codec.name !== previous.codec.name) this.#inbound.setCodec(params.codec.name);
    this.#latch.renegotiate(params.remoteRtp, performance.now());
    const hold = params.direction === 'recvonly' || params.direction === 'inactive' || params.remoteRtp.port === 0;
    if (hold === this.onHold) return;
    this.onHold = hold;
    this.lastReceivedAtMs = Date.now(); // the media timeout counts from the change
    if (this.#agent.ownerReady && this.#state === MediaSessionState.Started)
      this.#toAgent({ event: hold ? 'hold' : 'resume' });
  }

  #applyParams(params: AllocateParams): void {
    this.#options.params = params;
    this.#rtpOut.payloadType = params.codec.payloadType;
    this.#rtpOut.encode = encoderFor(params.codec.name);
    // RFC 3264 §5.1: recvonly/inactive means we do not send; port 0 means the stream is off.
    this.#rtpOut.sends =
      params.remoteRtp.port !== 0 && params.direction !== 'recvonly' && params.direction !== 'inactive';
  }

  /** Ends the media. Tells the agent why; sends nothing to the caller (signaling does the BYE). */
  close(reason: TerminationReason): void {
    if (this.#state === MediaSessionState.Closed) return;
    this.#state = MediaSessionState.Closed;
    this.#inboundSlot?.remove();
    this.#inboundSlot = undefined;
    this.#sendSlot?.remove();
    this.#sendSlot = undefined;
    this.#sender.close();
    this.#dtmfOut?.close();
    for (const name of this.#outboundPath.clear()) this.#toAgent({ event: 'mark', name, played: false });
    this.#toAgent({ event: 'stop', reason });
    this.#agent.close();
    this.#rtcp.close();
    this.#options.ports.rtp.removeAllListeners('message');
    this.#options.ports.rtcp.removeAllListeners('message');
  }

  #onRtp(packet: Buffer, from: RemoteInfo): void {
    if (this.#state === MediaSessionState.Closed) return;
    const rtp = isRtcp(packet) ? undefined : parseRtp(packet, this.#parsed);
    if (!rtp) return;
    const params = this.#options.params;
    if (rtp.payloadType !== params.codec.payloadType && rtp.payloadType !== params.telephoneEventPayloadType) {
      if (rtp.payloadType !== COMFORT_NOISE_PT) this.stats.dropped++;
      return;
    }
    const nowMs = performance.now();
    if (!this.#latch.accept(from.address, from.port, rtp.sequenceNumber, nowMs)) {
      this.stats.foreignDropped++;
      return;
    }
    this.lastReceivedAtMs = Date.now();
    this.stats.packetsReceived++;
    this.#rtcp.onRtp(rtp.sequenceNumber, rtp.timestamp, rtp.ssrc, nowMs);
    if (rtp.payloadType === params.codec.payloadType) {
      this.#options.recorder?.caller(
        packet.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength),
        rtp.timestamp,
        rtp.ssrc,
        nowMs,
      );
      const result = this.#inbound.push(
        packet,
        rtp.payloadOffset,
        rtp.payloadLength,
        rtp.sequenceNumber,
        rtp.timestamp,
        rtp.ssrc,
      );
      if (result !== 'accepted' && result !== 'empty') this.stats.dropped++; // late, duplicate or oversized
    } else {
      const payload = packet.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength);
      this.#dtmfIn.rtp(rtp.ssrc, rtp.timestamp, payload, nowMs);
    }
  }

  /** Key presses to the caller (the agent's, or a node command's through signaling); why not, if refused. */
  sendDtmf(digits: string, durationMs?: number): { code: string; message: string } | undefined {
    if (!this.#dtmfOut) return { code: 'VB_DTMF_NOT_NEGOTIATED', message: 'no telephone-event payload type' };
    if (this.#state === MediaSessionState.Closed || this.#dtmfOut.enqueue(digits, durationMs)) return undefined;
    return { code: 'VB_BAD_MESSAGE', message: 'too many DTMF digits queued' };
  }

  /** A digit from a SIP INFO (application/dtmf-relay or application/dtmf), relayed by signaling. */
  dtmfFromSignaling(digit: string, durationMs: number): void {
    if (this.#state !== MediaSessionState.Closed) this.#dtmfIn.info(digit, durationMs, performance.now());
  }

  #toAgentAudio(message: Buffer): void {
    if (!this.onHold) this.#agent.sendAudio(message);
  }

  /** A control message to the call's agent from outside the session (a transfer's progress from signaling). */
  readonly notifyAgent = (message: MediaToAgent): void => this.#toAgent(message);
  #toAgent(message: MediaToAgent): void {
    this.#agent.send(message);
  }

  #sendStart(): void {
    this.#toAgent(agentStartEvent(this.callId, this.#options.params, this.#answeredAtMs, SAMPLE_RATE_HZ));
  }

  #onAgentAudio(frame: AudioFrame): void {
    if (this.#state === MediaSessionState.Closed) return;
    this.stats.framesFromAgent++;
    this.#outboundPath.pushAudio(frame.samples, frame.sampleRateHz);
    this.stats.dropped += this.#outboundPath.takeDropped();
    this.#sender.audioQueued();
  }

  #onAgentControl(control: Exclude<AgentToMedia, { event: 'ready' | 'heartbeat' }>): void {
    if (this.#state === MediaSessionState.Closed) return;
    switch (control.event) {
      case 'mark':
        this.#outboundPath.pushMark(control.name);
        this.stats.dropped += this.#outboundPath.takeDropped();
        return;
      case 'clear':
        for (const name of this.#outboundPath.clear(CLEAR_FADE_SAMPLES))
          this.#toAgent({ event: 'mark', name, played: false });
        return;
      case 'hangup':
      case 'transfer':
        this.#options.onAgentRequest(control);
        return;
      case 'dtmf': {
        const refused = this.sendDtmf(control.digits, control.durationMs);
        if (refused) this.#toAgent({ event: 'error', ...refused });
        return;
      }
    }
  }

  /** Once a second: an owner gone quiet leaves the caller silence (after what was queued); `lost` ends the call. */
  checkAgent(nowMs = Date.now()): 'ok' | 'lost' {
    return this.#state === MediaSessionState.Started ? this.#agent.check(nowMs) : 'ok';
  }

  #inboundTick(scheduledAtMs: number): void {
    if (this.#state === MediaSessionState.Closed) return;
    this.#inbound.tick();
    this.#dtmfIn.poll(performance.now());
    this.#rtcp.tick(scheduledAtMs);
    this.#options.recorder?.flush(scheduledAtMs);
    if (this.#sendSlot === undefined) this.#sender.tick(scheduledAtMs);
  }

  #reportPlayedMarks(names: readonly string[]): void {
    if (this.#state === MediaSessionState.Closed) return;
    for (const name of names) this.#toAgent({ event: 'mark', name, played: true });
  }
}
