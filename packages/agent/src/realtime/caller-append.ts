import { pcmaEncode, pcmuEncode } from '@voicebridge/rtp';
import type { RealtimeSession } from './realtime-session.ts';
import { clientEvents, type G711Format } from './realtime-wire.ts';

/** Over 2 s of caller audio waiting in the socket: a model that does not read loses caller audio, counted. */
const MAX_BUFFERED_BYTES = 2 * 50 * 300;

/** The caller's frames to the model as G.711 `input_audio_buffer.append`s, one buffer reused. */
export class CallerAppend {
  readonly #format: G711Format;
  readonly #counts: { appends: number; appendsDropped: number };
  #g711 = new Uint8Array(160);

  constructor(format: G711Format, counts: { appends: number; appendsDropped: number }) {
    this.#format = format;
    this.#counts = counts;
  }

  send(session: RealtimeSession | undefined, samples: Int16Array): void {
    if (!session || session.bufferedBytes > MAX_BUFFERED_BYTES) {
      this.#counts.appendsDropped++;
      return;
    }
    if (this.#g711.length !== samples.length) this.#g711 = new Uint8Array(samples.length);
    if (this.#format === 'audio/pcma') pcmaEncode(samples, this.#g711);
    else pcmuEncode(samples, this.#g711);
    session.send(clientEvents.append(this.#g711));
    this.#counts.appends++;
  }
}
