import type { AudioFrame } from '@voicebridge/protocol';
import { pcmuEncode } from '@voicebridge/rtp';
import type { StreamMessages } from './stream-messages.ts';

/** The bot's socket as the caller's side needs it (a `ws` WebSocket). */
export interface BotWire {
  readonly bufferedAmount: number;
  send(text: string): void;
}

/** Frames per second of 20 ms audio: the slow-bot bound is counted in them. */
const FRAMES_PER_SECOND = 50;

/**
 * The caller's audio towards the bot, one `media` message per 20 ms frame as media hands it over
 * (PCMA calls were decoded by media already, so every call is μ-law on this wire). A bot whose
 * socket does not drain (more than `slowBotMs` of messages waiting in it) loses caller frames,
 * counted, as Twilio discards inbound audio a socket cannot take (warning 31930): memory stays
 * bounded whatever the bot does. Frames media filled in (concealment) are sent and counted too.
 */
export class CallerStream {
  readonly #messages: StreamMessages;
  readonly #slowBotMs: number;
  #mulaw = new Uint8Array(160);
  /** The first frame's position: `timestamp` counts from it, across reconnects too. */
  #baseOffset: number | undefined;
  #lastMessageBytes = 400;
  sent = 0;
  filled = 0;
  /** Dropped because the bot's socket was full, or because it was reconnecting. */
  dropped = 0;
  #dropping = false;

  constructor(messages: StreamMessages, slowBotMs = 2000) {
    this.#messages = messages;
    this.#slowBotMs = slowBotMs;
  }

  /** One caller frame; `wire` undefined while the bot is away (the gap is not replayed later). */
  push(frame: AudioFrame, wire: BotWire | undefined, onFirstDrop: () => void): void {
    this.#baseOffset ??= frame.sampleOffset;
    const bound = (this.#slowBotMs * FRAMES_PER_SECOND * this.#lastMessageBytes) / 1000;
    if (wire === undefined || wire.bufferedAmount > bound) {
      this.dropped++;
      if (!this.#dropping && wire !== undefined) onFirstDrop();
      this.#dropping = wire !== undefined;
      return;
    }
    this.#dropping = false;
    const samples = frame.samples;
    if (this.#mulaw.length !== samples.length) this.#mulaw = new Uint8Array(samples.length);
    pcmuEncode(samples, this.#mulaw);
    const timestampMs = Math.round(((frame.sampleOffset - this.#baseOffset) * 1000) / frame.sampleRateHz);
    const text = this.#messages.media(Buffer.from(this.#mulaw).toString('base64'), timestampMs);
    this.#lastMessageBytes = text.length;
    wire.send(text);
    this.sent++;
    if (frame.filled) this.filled++;
  }
}
