import { schedule } from '../../../../test/support/wait-for.ts';
import { tone } from './elevenlabs-wire-server.ts';
import { WireServer, type WireConnection } from './wire-server.ts';

/**
 * A local Cartesia TTS WebSocket server, written from the published reference (no cloud is
 * reachable here):
 * - https://docs.cartesia.ai/2026-03-01/api-reference/tts/websocket (requests with `model_id`,
 *   `transcript`, `voice {mode, id}`, `context_id`, `output_format {container, encoding,
 *   sample_rate}`, `continue`; `{context_id, cancel: true}`; replies `chunk` with base64 `data`,
 *   `timestamps`, `done`, `error {title, message, error_code}`)
 * - https://docs.cartesia.ai/use-the-api/api-conventions (`Cartesia-Version` header,
 *   `Authorization: Bearer KEY`)
 * - https://docs.cartesia.ai/api-reference/tts/working-with-web-sockets/contexts (`continue: true`
 *   inputs are concatenated; a context ends at `continue: false`)
 * With `add_timestamps: true` each audio chunk is followed by a `timestamps` message whose
 * `word_timestamps` (`words`, `start`, `end`, seconds from the context's first audio) time the
 * space-separated words starting in it, as the reference's example message does (2024-11-13 version of the page).
 * Its "voice" is a tone, `msPerChar` of 8 kHz PCM per character.
 */
export class CartesiaWireServer extends WireServer {
  readonly key: string;
  msPerChar = 20;
  chunkMs = 100;
  chunkGapMs = 0;
  firstByteDelayMs = 0;
  /** Contexts generating now, per connection (a cancel removes one). */
  readonly active = new Map<WireConnection, Set<string>>();

  private constructor(key: string) {
    super();
    this.key = key;
  }

  static async start(key = 'sk_car_test'): Promise<CartesiaWireServer> {
    const server = new CartesiaWireServer(key);
    await server.listen();
    return server;
  }

  protected accept(connection: WireConnection): void {
    const { socket } = connection;
    if (connection.headers.authorization !== `Bearer ${this.key}`) {
      socket.close(1008, 'invalid api key');
      return;
    }
    const active = new Set<string>();
    this.active.set(connection, active);
    const buffered = new Map<string, string>();
    const send = (frame: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
    const version = connection.headers['cartesia-version'];
    socket.on('message', (_data, isBinary) => {
      if (isBinary) return;
      const message = connection.texts.at(-1) as Record<string, unknown>;
      const contextId = typeof message['context_id'] === 'string' ? message['context_id'] : undefined;
      if (typeof version !== 'string' || contextId === undefined) {
        send({
          type: 'error',
          done: true,
          status_code: 400,
          title: 'Bad request',
          message: 'invalid request',
          error_code: 'invalid_request',
          context_id: contextId,
        });
        return;
      }
      if (message['cancel'] === true) {
        active.delete(contextId);
        return;
      }
      const text =
        (buffered.get(contextId) ?? '') + (typeof message['transcript'] === 'string' ? message['transcript'] : '');
      if (message['continue'] === true) {
        buffered.set(contextId, text);
        return;
      }
      buffered.delete(contextId);
      active.add(contextId);
      const pcm = tone(text.length * this.msPerChar);
      const per = 8 * this.chunkMs;
      const timestamps = message['add_timestamps'] === true ? wordTimes(text, this.msPerChar) : undefined;
      const sendFrom = (at: number): void => {
        if (!active.has(contextId)) return;
        if (at >= pcm.length) {
          active.delete(contextId);
          send({ type: 'done', done: true, status_code: 206, context_id: contextId });
          return;
        }
        const part = pcm.subarray(at, Math.min(pcm.length, at + per));
        send({
          type: 'chunk',
          data: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64'),
          done: false,
          status_code: 206,
          step_time: 1,
          context_id: contextId,
        });
        // The words that start in this chunk, timed as the reference's example shows.
        const fromS = at / 8000;
        const toS = (at + part.length) / 8000;
        const inChunk = timestamps?.start.flatMap((s, i) => (s >= fromS && s < toS ? [i] : [])) ?? [];
        if (timestamps !== undefined && inChunk.length > 0)
          send({
            type: 'timestamps',
            done: false,
            status_code: 206,
            context_id: contextId,
            word_timestamps: {
              words: inChunk.map((i) => timestamps.words[i]),
              start: inChunk.map((i) => timestamps.start[i]),
              end: inChunk.map((i) => timestamps.end[i]),
            },
          });
        if (this.chunkGapMs > 0) schedule(this.chunkGapMs, () => sendFrom(at + per));
        else sendFrom(at + per);
      };
      if (this.firstByteDelayMs > 0) schedule(this.firstByteDelayMs, () => sendFrom(0));
      else sendFrom(0);
    });
  }
}

/** Each space-separated word of `text`, timed at `msPerChar` per character, in seconds. */
function wordTimes(text: string, msPerChar: number): { words: string[]; start: number[]; end: number[] } {
  const times = { words: [] as string[], start: [] as number[], end: [] as number[] };
  for (const match of text.matchAll(/\S+/g)) {
    times.words.push(match[0]);
    times.start.push((match.index * msPerChar) / 1000);
    times.end.push(((match.index + match[0].length) * msPerChar) / 1000);
  }
  return times;
}
