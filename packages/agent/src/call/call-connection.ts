import {
  decodeAudioFrame,
  decodeControlJson,
  encodeAudioFrame,
  encodeControl,
  FRAME_KIND_AUDIO,
  MediaToAgentSchema,
  ownerTagOf,
  VoicebridgeError,
  type AgentToMedia,
  type AudioFrame,
  type MediaToAgent,
  type TerminationReason,
  type TransferProgressMessage,
} from '@voicebridge/protocol';
import type { AudioChannel, CallChannel } from '@voicebridge/channel';
import type { Logger } from 'pino';
import { AsyncQueue } from './async-queue.ts';
import { TransferRequests } from './transfer-requests.ts';

const CALLER_AUDIO_MAX_FRAMES = 500; // 10 s of 20 ms frames
const MARK_LOST_GRACE_MS = 5000;

type StartEvent = Extract<MediaToAgent, { event: 'start' }>;

/** This agent's claim on the call (docs/adr/0010). */
export interface CallOwnerOptions {
  /** The owner epoch from Redis; stamped on everything sent. 0 = unfenced. */
  epoch: number;
  /** How often to tell media we are still here; 0 = never. */
  heartbeatMs: number;
}

/**
 * The agent's end of one call's audio channel: caller audio as an AsyncIterable, the media's
 * `start`/`stop`, our audio and marks out. Aborting `signal` (or a `stop`) ends the call here.
 */
export class CallConnection {
  readonly callId: string;
  readonly callerAudio = new AsyncQueue<Int16Array>(CALLER_AUDIO_MAX_FRAMES);
  readonly #end: CallChannel;
  readonly #log: Logger;
  readonly #abort: AbortController;
  readonly #markWaiters = new Map<string, (played: boolean) => void>();
  readonly #transfers = new TransferRequests();
  #start: StartEvent | undefined;
  #startWaiter: ((start: StartEvent) => void) | undefined;
  readonly #frameObservers = new Set<(frame: AudioFrame) => void>();
  #outOffset = 0;
  /** When the audio sent so far should have finished playing (wall clock): a lost mark's deadline. */
  #playoutEndMs = 0;
  #markCounter = 0;
  #closed = false;
  readonly #owner: CallOwnerOptions;
  #heartbeat: NodeJS.Timeout | undefined;
  stopReason: TerminationReason | undefined;
  /** Called once per key the caller presses (RFC 4733, reported once per press by media). */
  onDtmf: ((digit: string, durationMs: number) => void) | undefined;
  /** The caller holds the call (media's `hold` until `resume`): no caller audio comes, ours waits. */
  held = false;
  /** Told when the caller puts the call on hold (true) or takes it off (false). */
  onHold: ((held: boolean) => void) | undefined;
  /** Media announced a newer owner: this agent lost the call and went quiet. */
  superseded = false;
  /** Told every mark result (the conversation state records whether the last thing said was heard). */
  onMarkResult: ((played: boolean) => void) | undefined;

  constructor(
    callId: string,
    channel: AudioChannel,
    abort: AbortController,
    log: Logger,
    owner: CallOwnerOptions = { epoch: 0, heartbeatMs: 0 },
  ) {
    this.callId = callId;
    this.#abort = abort;
    this.#log = log;
    this.#owner = owner;
    this.#end = channel.open(callId, 'agent', (message) => this.#onMessage(message));
    abort.signal.addEventListener('abort', () => this.close(), { once: true });
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

  /** Sees each caller frame as it arrives, before it is queued (turn timing, voice activity). */
  observeCallerFrames(observer: (frame: AudioFrame) => void): () => void {
    this.#frameObservers.add(observer);
    return () => this.#frameObservers.delete(observer);
  }

  /** Queues 8 kHz audio for the caller. */
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
    this.#playoutEndMs = Math.max(Date.now(), this.#playoutEndMs) + samples.length / 8;
  }

  /**
   * Queues a mark behind the audio sent so far; resolves true once that audio left the socket, false
   * if cleared. Marks named `t…` only time a reply (TurnTimer), `p…` ones track how far a reply was
   * played (barge-in); `m…` ones end what the agent said. After a takeover the name carries our
   * epoch, keeping it apart from a previous owner's, whose marks media may still report.
   */
  mark(signal: AbortSignal, prefix: 'm' | 't' | 'p' = 'm'): Promise<boolean> {
    const name = `${prefix}${++this.#markCounter}${this.#owner.epoch > 1 ? `.${this.#owner.epoch}` : ''}`;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      // Pub/sub has no replay: a mark report published while our subscriber was reconnecting (a
      // Redis restart) never comes. Past the end of the audio ahead of it plus a grace, it is taken
      // as played rather than leaving the agent waiting for ever.
      const lost = setTimeout(
        () => {
          if (!this.#markWaiters.has(name)) return;
          this.#log.warn({ mark: name }, 'mark report never came (audio channel interrupted?): taken as played');
          this.#markWaiters.get(name)?.(true);
          this.#markWaiters.delete(name);
        },
        Math.max(0, this.#playoutEndMs - Date.now()) + MARK_LOST_GRACE_MS,
      );
      const onAbort = (): void => {
        clearTimeout(lost);
        this.#markWaiters.delete(name);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#markWaiters.set(name, (played) => {
        clearTimeout(lost);
        signal.removeEventListener('abort', onAbort);
        resolve(played);
      });
      this.#send({ event: 'mark', name });
    });
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

  hangup(reason: TerminationReason): void {
    this.#send({ event: 'hangup', reason });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.callerAudio.close();
    this.#transfers.close();
    this.#end.close();
    if (!this.#abort.signal.aborted) this.#abort.abort(new VoicebridgeError('VB_CLOSED', 'call connection closed'));
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
      case 'mark': {
        const waiter = this.#markWaiters.get(event.name);
        this.#markWaiters.delete(event.name);
        // Only the marks that end an utterance say whether what was said was heard.
        if (waiter && event.name.startsWith('m')) this.onMarkResult?.(event.played);
        waiter?.(event.played);
        return;
      }
      case 'dtmf':
        this.#log.info({ digit: event.digit }, 'DTMF received');
        this.onDtmf?.(event.digit, event.durationMs);
        return;
      case 'hold':
      case 'resume':
        this.held = event.event === 'hold';
        this.onHold?.(this.held);
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
        this.superseded = true;
        this.#log.warn(
          { epoch: this.#owner.epoch, newEpoch: event.epoch },
          'another agent took the call over: going quiet',
        );
        this.#abort.abort(new VoicebridgeError('VB_CLOSED', 'call taken over by a newer owner'));
        return;
      case 'stop':
        this.stopReason = event.reason;
        this.#abort.abort(new VoicebridgeError('VB_CLOSED', `media stopped: ${event.reason}`));
        return;
    }
  }
}
