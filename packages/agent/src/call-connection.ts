import {
  decodeAudioFrame,
  decodeControlJson,
  encodeAudioFrame,
  encodeControl,
  FRAME_KIND_AUDIO,
  MediaToAgentSchema,
  VoicebridgeError,
  type AgentToMedia,
  type MediaToAgent,
  type TerminationReason,
} from '@voicebridge/protocol';
import type { AudioChannel, CallChannel } from '@voicebridge/channel';
import type { Logger } from 'pino';
import { AsyncQueue } from './async-queue.ts';

const CALLER_AUDIO_MAX_FRAMES = 500; // 10 s of 20 ms frames

type StartEvent = Extract<MediaToAgent, { event: 'start' }>;

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
  #start: StartEvent | undefined;
  #startWaiter: ((start: StartEvent) => void) | undefined;
  #outOffset = 0;
  #markCounter = 0;
  #closed = false;
  stopReason: TerminationReason | undefined;

  constructor(callId: string, channel: AudioChannel, abort: AbortController, log: Logger) {
    this.callId = callId;
    this.#abort = abort;
    this.#log = log;
    this.#end = channel.open(callId, 'agent', (message) => this.#onMessage(message));
    abort.signal.addEventListener('abort', () => this.close(), { once: true });
  }

  /** Subscribes, then tells media we own the call: from here on its held audio flows to us. */
  async announce(): Promise<void> {
    await this.#end.ready;
    this.#send({ event: 'ready' });
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

  /** Queues 8 kHz audio for the caller. */
  sendAudio(samples: Int16Array): void {
    if (this.#closed) return;
    this.#end.send(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: this.#outOffset, samples, filled: false }));
    this.#outOffset += samples.length;
  }

  /** Queues a mark behind the audio sent so far; resolves true once that audio left the socket, false if cleared. */
  mark(signal: AbortSignal): Promise<boolean> {
    const name = `m${++this.#markCounter}`;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        this.#markWaiters.delete(name);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#markWaiters.set(name, (played) => {
        signal.removeEventListener('abort', onAbort);
        resolve(played);
      });
      this.#send({ event: 'mark', name });
    });
  }

  hangup(reason: TerminationReason): void {
    this.#send({ event: 'hangup', reason });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.callerAudio.close();
    this.#end.close();
    if (!this.#abort.signal.aborted) this.#abort.abort(new VoicebridgeError('VB_CLOSED', 'call connection closed'));
  }

  #send(message: AgentToMedia): void {
    if (!this.#closed) this.#end.send(encodeControl(message));
  }

  #onMessage(message: Buffer): void {
    if (message[0] === FRAME_KIND_AUDIO) {
      const frame = decodeAudioFrame(message);
      if (frame) this.callerAudio.push(frame.samples);
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
        waiter?.(event.played);
        return;
      }
      case 'dtmf':
        this.#log.info({ digit: event.digit }, 'DTMF received');
        return;
      case 'stop':
        this.stopReason = event.reason;
        this.#abort.abort(new VoicebridgeError('VB_CLOSED', `media stopped: ${event.reason}`));
        return;
    }
  }
}
