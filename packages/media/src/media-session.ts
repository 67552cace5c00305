import type { RemoteInfo } from 'node:dgram';
import { randomInt } from 'node:crypto';
import {
  AgentToMediaSchema,
  decodeAudioFrame,
  decodeControlJson,
  encodeControl,
  FRAME_KIND_AUDIO,
  type AllocateParams,
  type MediaStats,
  type MediaToAgent,
  type TerminationReason,
} from '@voicebridge/protocol';
import type { AudioChannel, CallChannel } from '@voicebridge/channel';
import {
  encoderFor,
  eventToDigit,
  isRtcp,
  parseRtp,
  parseTelephoneEvent,
  writeRtpHeader,
  type ClockSlot,
  type MediaClock,
} from '@voicebridge/rtp';
import type { Logger } from 'pino';
import { INBOUND_FRAME_MS, InboundPath } from './inbound-path.ts';
import { OutboundPath } from './outbound-path.ts';
import type { OutboundQueue } from './outbound-queue.ts';
import type { RtpPortPair } from './port-pool.ts';
import { RtcpSession } from './rtcp-session.ts';
import { RtpLatch } from './rtp-latch.ts';

const SAMPLE_RATE_HZ = 8000;
/** ADR 0006: every millisecond of jitter buffer adds straight to the agent's turn latency. */
export const DEFAULT_JITTER_MAX_DEPTH_MS = 60;
const HELD_FRAMES_MAX = 250; // 5 s of caller audio held for an agent that is not ready yet
const OUTBOUND_FRAMES_MAX = 3000; // 60 s of queued agent audio
const SEND_RING = 8; // dgram may still hold a buffer after send(): rotate instead of reusing at once
const COMFORT_NOISE_PT = 13; // RFC 3389

export interface MediaSessionOptions {
  callId: string;
  ports: RtpPortPair;
  params: AllocateParams;
  channel: AudioChannel;
  clock: MediaClock;
  log: Logger;
  /** Jitter buffer cap when the allocate request names none; default 60 ms. */
  jitterMaxDepthMs?: number;
  /** RTCP report interval before §6.3.1's randomisation; default 5 s (RFC 3550 §6.2). */
  rtcpIntervalMs?: number;
  /** The agent ended the call: the worker tells signaling, which sends BYE. */
  onAgentHangup: (reason: TerminationReason) => void;
}

/**
 * One call's media: receives RTP into a jitter buffer played out as 20 ms 8 kHz frames for the agent
 * from allocation on, and, once started, sends the agent's audio (or silence) every ptime. Both run
 * on the worker's shared clock: one slot when ptime is 20 ms, a second one for sending otherwise.
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
  readonly #channelEnd: CallChannel;
  readonly #encode: (pcm: Int16Array, out: Uint8Array) => void;
  readonly #frameSamples: number;
  readonly #inbound: InboundPath;
  readonly #rtcp: RtcpSession;
  readonly #latch: RtpLatch;
  readonly #outboundPath: OutboundPath;
  readonly #outbound: OutboundQueue;
  readonly #sendBuffers: Buffer[];
  readonly #silence: Int16Array;
  readonly #ssrc = randomInt(0, 2 ** 32);
  #sendIndex = 0;
  #sequence = randomInt(0, 2 ** 16);
  #timestampBase = randomInt(0, 2 ** 32);
  #startedAtMs = 0;
  #firstPacketSent = false;
  #agentReady = false;
  #held: Buffer[] = [];
  #lastDtmfTimestamp: number | undefined;
  /** Inbound playout every 20 ms from allocation on; also sends when ptime is 20 ms. */
  #inboundSlot: ClockSlot | undefined;
  /** Sends every ptime when ptime is not 20 ms. */
  #sendSlot: ClockSlot | undefined;
  #answeredAtMs = 0;
  readonly stats = { packetsReceived: 0, packetsSent: 0, framesToAgent: 0, framesFromAgent: 0, dropped: 0, foreignDropped: 0 };
  /** When RTP or RTCP last arrived (or the session was created): the media timeout's reference. */
  lastReceivedAtMs = Date.now();

  constructor(options: MediaSessionOptions) {
    this.#options = options;
    this.callId = options.callId;
    this.port = options.ports.port;
    const codec = options.params.codec.name;
    this.#inbound = new InboundPath({
      codec,
      maxDepthMs: options.params.jitterMaxDepthMs ?? options.jitterMaxDepthMs ?? DEFAULT_JITTER_MAX_DEPTH_MS,
      emit: (message) => this.#toAgentAudio(message),
    });
    this.#encode = encoderFor(codec);
    this.#frameSamples = (SAMPLE_RATE_HZ / 1000) * options.params.ptimeMs;
    this.#outboundPath = new OutboundPath(this.#frameSamples, OUTBOUND_FRAMES_MAX);
    this.#outbound = this.#outboundPath.queue;
    this.#silence = new Int16Array(this.#frameSamples);
    this.#sendBuffers = Array.from({ length: SEND_RING }, () => Buffer.alloc(12 + this.#frameSamples));
    this.#channelEnd = options.channel.open(options.callId, 'media', (message) => this.#onAgentMessage(message));
    const remote = options.params.remoteRtp;
    this.#latch = new RtpLatch({ sdp: remote, mode: options.params.rtpLatching });
    this.#rtcp = new RtcpSession({
      socket: options.ports.rtcp,
      // RFC 3550 §11: "the next higher (odd) port number" unless the offer said otherwise (RFC 3605).
      remote: remote.port === 0 ? undefined : (options.params.remoteRtcp ?? { address: remote.address, port: remote.port + 1 }),
      ssrc: this.#ssrc,
      cname: `voicebridge-${this.#ssrc.toString(16)}`,
      intervalMs: options.rtcpIntervalMs,
      rtpTimestampAt: (nowMs) => (this.#timestampBase + Math.round((nowMs - this.#startedAtMs) * (SAMPLE_RATE_HZ / 1000))) >>> 0,
      log: options.log,
      acceptFrom: (address) => this.#latch.acceptRtcp(address),
    });
    options.ports.rtp.on('message', (packet, rinfo) => this.#onRtp(packet, rinfo));
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
    return this.#channelEnd.ready;
  }

  /** RTP/RTCP figures for the call record (RFC 3550 Appendix A) plus the jitter buffer's. */
  get mediaStats(): MediaStats {
    const jitter = this.#inbound.jitter;
    return { ...this.#rtcp.stats, framesConcealed: jitter.stats.framesFilled, jitterBufferMaxMs: jitter.maxDepthMs };
  }

  /** The call is confirmed: start sending every ptime and tell the agent. */
  start(answeredAtMs: number): void {
    if (this.#state !== MediaSessionState.Allocated) return;
    this.#state = MediaSessionState.Started;
    this.#answeredAtMs = answeredAtMs;
    if (this.stats.packetsReceived === 0) this.lastReceivedAtMs = Date.now();
    const ptimeMs = this.#options.params.ptimeMs;
    if (ptimeMs !== INBOUND_FRAME_MS) this.#sendSlot = this.#options.clock.add(ptimeMs, (at) => this.#tick(at));
    this.#latch.startWindow(performance.now());
    if (this.#agentReady) this.#sendStart();
  }

  /** Ends the media. Tells the agent why; sends nothing to the caller (signaling does the BYE). */
  close(reason: TerminationReason): void {
    if (this.#state === MediaSessionState.Closed) return;
    this.#state = MediaSessionState.Closed;
    this.#inboundSlot?.remove();
    this.#inboundSlot = undefined;
    this.#sendSlot?.remove();
    this.#sendSlot = undefined;
    for (const name of this.#outboundPath.clear()) this.#toAgent({ event: 'mark', name, played: false });
    this.#toAgent({ event: 'stop', reason });
    this.#channelEnd.close();
    this.#rtcp.close();
    this.#held = [];
    this.#options.ports.rtp.removeAllListeners('message');
    this.#options.ports.rtcp.removeAllListeners('message');
  }

  #onRtp(packet: Buffer, from: RemoteInfo): void {
    if (this.#state === MediaSessionState.Closed) return;
    if (isRtcp(packet)) return;
    const rtp = parseRtp(packet);
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
      const result = this.#inbound.push(packet, rtp.payloadOffset, rtp.payloadLength, rtp.sequenceNumber, rtp.timestamp, rtp.ssrc);
      if (result !== 'accepted' && result !== 'empty') this.stats.dropped++; // late, duplicate or oversized
    } else {
      this.#onTelephoneEvent(packet.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength), rtp.timestamp);
    }
  }

  #onTelephoneEvent(payload: Uint8Array, timestamp: number): void {
    const event = parseTelephoneEvent(payload);
    // RFC 4733 §2.5.1.4: one event per timestamp; report it on its first end packet only.
    if (!event?.end || this.#lastDtmfTimestamp === timestamp) return;
    this.#lastDtmfTimestamp = timestamp;
    const digit = eventToDigit(event.event);
    if (!digit) return;
    this.#toAgent({ event: 'dtmf', digit, durationMs: Math.round(event.durationSamples / (SAMPLE_RATE_HZ / 1000)) });
  }

  #toAgentAudio(message: Buffer): void {
    if (this.#agentReady) {
      this.#channelEnd.send(message);
      this.stats.framesToAgent++;
      return;
    }
    this.#held.push(message);
    if (this.#held.length > HELD_FRAMES_MAX) this.#held.shift();
  }

  #toAgent(message: MediaToAgent): void {
    this.#channelEnd.send(encodeControl(message));
  }

  #sendStart(): void {
    const p = this.#options.params;
    this.#toAgent({
      event: 'start',
      callId: this.callId,
      codec: p.codec.name,
      sampleRateHz: SAMPLE_RATE_HZ,
      ptimeMs: p.ptimeMs,
      answeredAtMs: this.#answeredAtMs,
    });
  }

  #onAgentMessage(message: Buffer): void {
    if (this.#state === MediaSessionState.Closed) return;
    if (message[0] === FRAME_KIND_AUDIO) {
      const frame = decodeAudioFrame(message);
      if (!frame) {
        this.stats.dropped++;
        return;
      }
      this.stats.framesFromAgent++;
      this.#outboundPath.pushAudio(frame.samples, frame.sampleRateHz);
      this.stats.dropped += this.#outboundPath.takeDropped();
      return;
    }
    const parsed = AgentToMediaSchema.safeParse(decodeControlJson(message));
    if (!parsed.success) {
      this.#options.log.warn({ callId: this.callId }, 'invalid control message from agent dropped');
      return;
    }
    const control = parsed.data;
    switch (control.event) {
      case 'ready':
        if (this.#agentReady) return;
        this.#agentReady = true;
        if (this.#state === MediaSessionState.Started) this.#sendStart();
        for (const held of this.#held) this.#channelEnd.send(held);
        this.stats.framesToAgent += this.#held.length;
        this.#held = [];
        return;
      case 'mark':
        this.#outboundPath.pushMark(control.name);
        this.stats.dropped += this.#outboundPath.takeDropped();
        return;
      case 'clear':
        for (const name of this.#outboundPath.clear()) this.#toAgent({ event: 'mark', name, played: false });
        return;
      case 'hangup':
        this.#options.onAgentHangup(control.reason);
        return;
    }
  }

  #inboundTick(scheduledAtMs: number): void {
    if (this.#state === MediaSessionState.Closed) return;
    this.#inbound.tick();
    this.#rtcp.tick(scheduledAtMs);
    if (this.#sendSlot === undefined) this.#tick(scheduledAtMs);
  }

  #tick(scheduledAtMs: number): void {
    if (this.#state !== MediaSessionState.Started) return;
    if (this.#startedAtMs === 0) this.#startedAtMs = scheduledAtMs;
    this.#reportPlayedMarks(this.#takeLeadingMarks()); // marks with no audio before them
    const item = this.#outbound.peek();
    let samples = this.#silence;
    if (item?.kind === 'frame') {
      this.#outbound.shift();
      samples = item.samples;
    }
    // A mark right behind this frame is reported once the frame has left the socket.
    const marks = samples === this.#silence ? [] : this.#takeLeadingMarks();
    this.#sendFrame(samples, scheduledAtMs, marks.length > 0 ? () => this.#reportPlayedMarks(marks) : undefined);
    if (samples !== this.#silence) this.#outbound.recycle(samples);
  }

  #takeLeadingMarks(): string[] {
    const names: string[] = [];
    for (let item = this.#outbound.peek(); item?.kind === 'mark'; item = this.#outbound.peek()) {
      this.#outbound.shift();
      names.push(item.name);
    }
    return names;
  }

  #reportPlayedMarks(names: string[]): void {
    if (this.#state === MediaSessionState.Closed) return;
    for (const name of names) this.#toAgent({ event: 'mark', name, played: true });
  }

  #sendFrame(samples: Int16Array, scheduledAtMs: number, onSent: (() => void) | undefined): void {
    const buffer = this.#sendBuffers[this.#sendIndex] as Buffer;
    this.#sendIndex = (this.#sendIndex + 1) % SEND_RING;
    const elapsedSamples = Math.round((scheduledAtMs - this.#startedAtMs) * (SAMPLE_RATE_HZ / 1000));
    this.#sequence = (this.#sequence + 1) & 0xffff;
    writeRtpHeader(buffer, 0, {
      marker: !this.#firstPacketSent, // RFC 3551 §4.1: marker on the first packet of a talkspurt
      payloadType: this.#options.params.codec.payloadType,
      sequenceNumber: this.#sequence,
      timestamp: (this.#timestampBase + elapsedSamples) >>> 0,
      ssrc: this.#ssrc,
    });
    this.#firstPacketSent = true;
    this.#encode(samples, buffer.subarray(12, 12 + samples.length));
    const remote = this.#latch.target;
    const direction = this.#options.params.direction;
    // RFC 3264 §5.1: recvonly/inactive means we do not send; port 0 means the stream is off.
    if (this.#options.params.remoteRtp.port === 0 || direction === 'recvonly' || direction === 'inactive') {
      onSent?.();
      return;
    }
    this.#options.ports.rtp.send(buffer, 0, 12 + samples.length, remote.port, remote.address, onSent);
    this.stats.packetsSent++;
    this.#rtcp.onSent(samples.length);
  }
}
