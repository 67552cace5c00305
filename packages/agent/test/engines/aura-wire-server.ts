import { schedule } from '../../../../test/support/wait-for.ts';
import { tone } from './elevenlabs-wire-server.ts';
import { WireServer, type WireConnection } from './wire-server.ts';

/**
 * A local Deepgram Aura (streaming TTS) server, written from the published reference (no cloud is
 * reachable here):
 * - https://developers.deepgram.com/docs/streaming-text-to-speech (`/v1/speak?model=…&encoding=…
 *   &sample_rate=…`, `Authorization: Token KEY`, `{"type":"Speak","text"}`, binary audio back)
 * - https://developers.deepgram.com/docs/tts-ws-flush (`Flush` → audio, then `{"type":"Flushed",
 *   "sequence_id"}`; at most 20 flushes per 60 s, after which a warning and no audio)
 * - https://developers.deepgram.com/docs/tts-ws-clear (`Clear` drops the text and audio buffers,
 *   stops sending, answers `{"type":"Cleared","sequence_id"}`)
 * Its "voice" is a tone, `msPerChar` of 8 kHz linear16 per character.
 */
export class AuraWireServer extends WireServer {
  readonly key: string;
  msPerChar = 20;
  chunkMs = 100;
  chunkGapMs = 0;
  firstByteDelayMs = 0;
  flushLimit = 20;
  flushWindowMs = 60_000;
  /** Warnings sent, per connection. */
  readonly warnings = new Map<WireConnection, number>();

  private constructor(key: string) {
    super();
    this.key = key;
  }

  static async start(key = 'dg-test-key'): Promise<AuraWireServer> {
    const server = new AuraWireServer(key);
    await server.listen();
    return server;
  }

  get url(): string {
    return `${this.origin}/v1/speak`;
  }

  get warningCount(): number {
    return [...this.warnings.values()].reduce((a, b) => a + b, 0);
  }

  protected accept(connection: WireConnection): void {
    const { socket } = connection;
    if (connection.headers.authorization !== `Token ${this.key}`) {
      socket.close(1008, 'invalid credentials');
      return;
    }
    this.warnings.set(connection, 0);
    let text = '';
    let sequence = 0;
    /** Bumped by Clear: generations started before it stop sending. */
    let generation = 0;
    const flushes: number[] = [];
    const send = (frame: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
    // Replies leave in order: a flush's audio and its Flushed go out after the previous one's.
    let queue: Promise<void> = Promise.resolve();
    socket.on('message', (_data, isBinary) => {
      if (isBinary) return;
      const message = connection.texts.at(-1) as Record<string, unknown>;
      const type = message['type'];
      if (type === 'Speak' && typeof message['text'] === 'string') text += message['text'];
      else if (type === 'Clear') {
        text = '';
        generation++;
        const id = sequence++;
        queue = queue.then(() => send({ type: 'Cleared', sequence_id: id }));
      } else if (type === 'Close') socket.close(1000);
      else if (type === 'Flush') {
        const now = performance.now();
        while (flushes.length > 0 && now - flushes[0]! >= this.flushWindowMs) flushes.shift();
        if (flushes.length >= this.flushLimit) {
          this.warnings.set(connection, (this.warnings.get(connection) ?? 0) + 1);
          send({ type: 'Warning', warn_code: 'FLUSH_LIMIT', warn_msg: 'flush limit reached: 20 per 60 seconds' });
          return;
        }
        flushes.push(now);
        const pcm = tone(text.length * this.msPerChar);
        text = '';
        const id = sequence++;
        const mine = generation;
        queue = queue.then(
          () =>
            new Promise<void>((resolve) => {
              const per = 8 * this.chunkMs;
              const sendFrom = (at: number): void => {
                if (mine !== generation) return resolve();
                if (at >= pcm.length) {
                  send({ type: 'Flushed', sequence_id: id });
                  return resolve();
                }
                const part = pcm.subarray(at, Math.min(pcm.length, at + per));
                if (socket.readyState === socket.OPEN)
                  socket.send(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
                if (this.chunkGapMs > 0) schedule(this.chunkGapMs, () => sendFrom(at + per));
                else sendFrom(at + per);
              };
              if (this.firstByteDelayMs > 0) schedule(this.firstByteDelayMs, () => sendFrom(0));
              else sendFrom(0);
            }),
        );
      }
    });
  }
}
