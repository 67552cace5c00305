import {
  decodeAudioFrame,
  decodeControlJson,
  encodeAudioFrame,
  encodeControl,
  FRAME_KIND_AUDIO,
  MediaToAgentSchema,
  ownerTagOf,
  type AgentToMedia,
  type AudioFrame,
  type ErrorCode,
  type MediaToAgent,
  type TerminationReason,
  type TransferProgressMessage,
} from '@voicebridge/protocol';
import type { AudioChannel, CallChannel } from '@voicebridge/channel';
import type { Logger } from 'pino';
import { AsyncQueue } from '../async-queue.ts';
import { TransferRequests } from '../transfer-requests.ts';

const CALLER_AUDIO_MAX_FRAMES = 500; // 10 s of 20 ms frames
/** Caller frames kept for a kind that streams them on, until it runs: 5 s, what media holds for an agent not ready. */
const EARLY_FRAMES_MAX = 250;
/** How often an unanswered hang-up is said again (media's `stop` answers it). */
const HANGUP_REPEAT_MS = 1000;

type StartEvent = Extract<MediaToAgent, { event: 'start' }>;

/** This agent's claim on the call (docs/adr/0010). */
export interface CallOwnerOptions {
  /** The owner epoch from Redis; stamped on everything sent. 0 = unfenced. */
  epoch: number;
  /** How often to tell media we are still here; 0 = never. */
  heartbeatMs: number;
}

/** What media tells the call's owner besides audio and `start`: given at construction, never patched. */
export interface CallConnectionDelegate {
  /** A key the caller pressed (RFC 4733 or SIP INFO, reported once per press by media). */
  onDtmf(digit: string, durationMs: number): void;
  /** The caller put the call on hold (true) or took it off (false). */
  onHold(held: boolean): void;
  /** Media reported a mark: `played` false when it was cleared before its audio left the socket. */
  onMark(name: string, played: boolean): void;
  /** Media announced a newer owner: this agent lost the call and must go quiet. */
  onSuperseded(newEpoch: number): void;
  /** Media ended the call. */
  onStop(reason: TerminationReason): void;
}

export interface CallConnectionOptions {
  callId: string;
  channel: AudioChannel;
  log: Logger;
  delegate: CallConnectionDelegate;
  owner?: CallOwnerOptions;
}

/**
 * The agent's end of one call's audio channel: caller audio as an AsyncIterable, the media's
 * `start`, our audio, marks and requests out; everything else media says goes to the delegate.
 * A wire, not a policy: its owner (`AgentCall`) decides what a `stop` or a newer owner means.
 */
export class CallConnection {
  readonly callId: string;
  readonly callerAudio = new AsyncQueue<Int16Array>(CALLER_AUDIO_MAX_FRAMES);
  readonly #end: CallChannel;
  readonly #log: Logger;
  readonly #delegate: CallConnectionDelegate;
  readonly #transfers = new TransferRequests();
  readonly #frameObservers = new Set<(frame: AudioFrame) => void>();
  readonly #owner: CallOwnerOptions;
  /** Frames that came before the kind ran (undefined once it runs): see `observeCallerFrames`. */
  #early: AudioFrame[] | undefined = [];
  /** Early frames dropped over EARLY_FRAMES_MAX (the oldest go first). */
  earlyFramesDropped = 0;
  #start: StartEvent | undefined;
  #startWaiter: ((start: StartEvent) => void) | undefined;
  #outOffset = 0;
  #held = false;
  #closed = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #hangupRepeat: NodeJS.Timeout | undefined;

  constructor(options: CallConnectionOptions) {
    this.callId = options.callId;
    this.#log = options.log;
    this.#delegate = options.delegate;
    this.#owner = options.owner ?? { epoch: 0, heartbeatMs: 0 };
    this.#end = options.channel.open(options.callId, 'agent', (message) => this.#onMessage(message));
  }

  /** Subscribes, then tells media we own the call: from here on its held audio flows to us. */
  async announce(): Promise<void> {
    await this.#end.ready;
    this.#send({ event: 'ready' });
    if (this.#owner.heartbeatMs > 0 && !this.#closed) {
      this.#heartbeat = setInterval(() => this.#send({ event: 'heartbeat' }), this.#owner.heartbeatMs);
    }
  }

  get epoch(): number {
    return this.#owner.epoch;
  }

  /** Resolves with the media's `start` (the caller ACKed our 200 OK). */
  waitForStart(signal: AbortSignal): Promise<StartEvent> {
    if (this.#start) return Promise.resolve(this.#start);
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#startWaiter = (start) => {
        signal.removeEventListener('abort', onAbort);
        resolve(start);
      };
    });
  }

  /** Whether media negotiated RFC 4733 telephone-events (undefined before `start`, or from older media). */
  get telephoneEvent(): boolean | undefined {
    return this.#start?.telephoneEvent;
  }

  /**
   * Sees each caller frame as it arrives, before it is queued (turn timing, voice activity). With
   * `replay`, first the frames that came before the kind ran: media's `start` and the first frames
   * after it arrive in one read under load (or frames before it, the caller's RTP beating its ACK),
   * and a kind that streams frames on (a bot) must not lose them. Counted when over the bound.
   */
  observeCallerFrames(observer: (frame: AudioFrame) => void, options?: { replay?: boolean }): () => void {
    if (options?.replay === true) for (const frame of this.#early ?? []) observer(frame);
    this.#frameObservers.add(observer);
    return () => this.#frameObservers.delete(observer);
  }

  /** The kind runs: its observers are in place, so no frame is kept for them from here on. */
  stopKeepingEarlyFrames(): void {
    this.#early = undefined;
  }

  /** The caller holds the call (media's `hold` until `resume`): no caller audio comes. */
  get held(): boolean {
    return this.#held;
  }

  /** Publishes 8 kHz audio for the caller, as it is (pacing is the owner's business). */
  sendAudio(samples: Int16Array): void {
    if (this.#closed) return;
    this.#end.send(
      encodeAudioFrame({
        sampleRateHz: 8000,
        sampleOffset: this.#outOffset,
        samples,
        filled: false,
        ownerTag: ownerTagOf(this.#owner.epoch),
      }),
    );
    this.#outOffset += samples.length;
  }

  /** Publishes a mark behind the audio published so far; media reports it through `onMark`. */
  sendMark(name: string): void {
    this.#send({ event: 'mark', name });
  }

  /** Presses keys towards the caller (RFC 4733); media answers `error` when the call cannot carry them. */
  sendDtmf(digits: string, durationMs?: number): void {
    this.#send({ event: 'dtmf', digits, durationMs });
  }

  /**
   * Asks for the call to be transferred (REFER) to a number or sip:/tel: URI the number's
   * `transferTargets` allow. Resolves with the outcome: `success` (the call then ends), or `failure`
   * with a reason (refused, the SIP status, no outcome within `timeoutMs`) and the call goes on.
   */
  transfer(
    target: string,
    signal: AbortSignal,
    options?: { timeoutMs?: number; onProgress?: (progress: TransferProgressMessage) => void },
  ): Promise<TransferProgressMessage> {
    return this.#transfers.start((requestId) => this.#send({ event: 'transfer', target, requestId }), signal, options);
  }

  /** Barge-in: media drops the queued audio within one frame and reports pending marks unplayed. */
  clear(): void {
    this.#send({ event: 'clear' });
  }

  /**
   * Ends the call; for `error`, `why` gives the record its code and one line of reason. Said again
   * every second until media's `stop` or close: pub/sub has no replay, so a hang-up published
   * during a Redis outage (queued by the client) can reach Redis before media has subscribed again
   * and be lost; a repeat after the outage arrives (signaling keeps the first reason).
   */
  hangup(reason: TerminationReason, why?: { code: ErrorCode; detail: string }): void {
    const message: AgentToMedia = { event: 'hangup', reason, ...why };
    this.#send(message);
    if (this.#closed || this.#hangupRepeat) return;
    this.#log.info({ reason }, 'agent hangs up');
    this.#hangupRepeat = setInterval(() => this.#send(message), HANGUP_REPEAT_MS);
  }

  /** Idempotent: the caller-audio queue ends, transfers in flight fail, the channel end closes. Sends nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#stopRepeatingHangup();
    this.#early = undefined;
    this.callerAudio.close();
    this.#transfers.close();
    this.#end.close();
  }

  #stopRepeatingHangup(): void {
    clearInterval(this.#hangupRepeat);
    this.#hangupRepeat = undefined;
  }

  #send(message: AgentToMedia): void {
    // Every message carries our epoch (none when unfenced): media drops those of an owner that lost the call.
    if (!this.#closed)
      this.#end.send(encodeControl(this.#owner.epoch > 0 ? { ...message, epoch: this.#owner.epoch } : message));
  }

  #onMessage(message: Buffer): void {
    if (message[0] === FRAME_KIND_AUDIO) {
      const frame = decodeAudioFrame(message);
      if (!frame) return;
      for (const observer of this.#frameObservers) observer(frame);
      this.callerAudio.push(frame.samples);
      if (this.#early && this.#early.push(frame) > EARLY_FRAMES_MAX) {
        this.#early.shift();
        this.earlyFramesDropped++;
      }
      return;
    }
    const parsed = MediaToAgentSchema.safeParse(decodeControlJson(message));
    if (!parsed.success) {
      this.#log.warn('invalid control message from media dropped');
      return;
    }
    const event = parsed.data;
    switch (event.event) {
      case 'start':
        this.#start = event;
        this.#startWaiter?.(event);
        this.#startWaiter = undefined;
        return;
      case 'mark':
        this.#delegate.onMark(event.name, event.played);
        return;
      case 'dtmf':
        // Never the key itself: keypads carry PINs and card numbers (docs/security.md).
        this.#log.info({ durationMs: event.durationMs }, 'DTMF received');
        this.#delegate.onDtmf(event.digit, event.durationMs);
        return;
      case 'hold':
      case 'resume':
        this.#held = event.event === 'hold';
        this.#delegate.onHold(this.#held);
        return;
      case 'transfer-result':
        this.#log.info(
          { transfer: { state: event.state, status: event.status, code: event.code } },
          'transfer progress',
        );
        this.#transfers.onResult(event);
        return;
      case 'error':
        this.#log.warn({ code: event.code }, `media refused a request: ${event.message}`);
        return;
      case 'owner':
        if (event.epoch <= this.#owner.epoch) return;
        this.#log.warn(
          { epoch: this.#owner.epoch, newEpoch: event.epoch },
          'another agent took the call over: going quiet',
        );
        this.#delegate.onSuperseded(event.epoch);
        return;
      case 'stop':
        this.#stopRepeatingHangup();
        this.#delegate.onStop(event.reason);
        return;
    }
  }
}
