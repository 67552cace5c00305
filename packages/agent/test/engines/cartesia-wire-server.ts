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
        if (this.chunkGapMs > 0) schedule(this.chunkGapMs, () => sendFrom(at + per));
        else sendFrom(at + per);
      };
      if (this.firstByteDelayMs > 0) schedule(this.firstByteDelayMs, () => sendFrom(0));
      else sendFrom(0);
    });
  }
}
