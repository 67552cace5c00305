import type { StreamIdentity } from './twilio-ids.ts';

/**
 * The messages the bridge sends a bot, as Twilio Media Streams sends them
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages): JSON text frames, every
 * counter a string, only `sampleRate` and `channels` numbers. `sequenceNumber` counts every
 * message of one socket from "1" (`connected` has none), `chunk` counts its media messages from
 * "1" with no gap; `timestamp` is the frame's position in ms since the stream started, so it jumps
 * over caller audio that never came while `chunk` stays contiguous. A new socket (a reconnect)
 * starts both counters again.
 */
export class StreamMessages {
  readonly #identity: StreamIdentity;
  #sequence = 0;
  #chunk = 0;

  constructor(identity: StreamIdentity) {
    this.#identity = identity;
  }

  get identity(): StreamIdentity {
    return this.#identity;
  }

  /** Media messages sent on the current socket. */
  get chunks(): number {
    return this.#chunk;
  }

  /** A new socket: its first message is `connected` again. */
  reset(): void {
    this.#sequence = 0;
    this.#chunk = 0;
  }

  connected(): string {
    return JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  start(customParameters: Readonly<Record<string, string>>): string {
    const { streamSid, accountSid, callSid } = this.#identity;
    return JSON.stringify({
      event: 'start',
      sequenceNumber: this.#next(),
      streamSid,
      start: {
        streamSid,
        accountSid,
        callSid,
        tracks: ['inbound'],
        customParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
  }

  /** One caller frame: `payload` is base64 μ-law. */
  media(payload: string, timestampMs: number): string {
    const sequenceNumber = this.#next();
    this.#chunk++;
    return JSON.stringify({
      event: 'media',
      sequenceNumber,
      streamSid: this.#identity.streamSid,
      media: { track: 'inbound', chunk: String(this.#chunk), timestamp: String(timestampMs), payload },
    });
  }

  dtmf(digit: string): string {
    return JSON.stringify({
      event: 'dtmf',
      streamSid: this.#identity.streamSid,
      sequenceNumber: this.#next(),
      dtmf: { track: 'inbound_track', digit },
    });
  }

  /** The echo of a bot's mark: its audio was played, or cleared. */
  mark(name: string): string {
    return JSON.stringify({
      event: 'mark',
      sequenceNumber: this.#next(),
      streamSid: this.#identity.streamSid,
      mark: { name },
    });
  }

  stop(): string {
    const { streamSid, accountSid, callSid } = this.#identity;
    return JSON.stringify({ event: 'stop', sequenceNumber: this.#next(), streamSid, stop: { accountSid, callSid } });
  }

  #next(): string {
    return String(++this.#sequence);
  }
}
