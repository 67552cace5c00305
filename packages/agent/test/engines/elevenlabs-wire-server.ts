import { schedule } from '../../../../test/support/wait-for.ts';
import { WireServer, type WireConnection } from './wire-server.ts';

/**
 * A local ElevenLabs multi-context TTS server, written from the published reference (no cloud is
 * reachable here):
 * - https://elevenlabs.io/docs/api-reference/websockets/multi-context (`/v1/text-to-speech/{voice_id}/multi-stream-input`,
 *   `xi-api-key`, `context_id` per message, `flush`, `close_context`, `close_socket`; replies
 *   `{audio, alignment, contextId}` and `{isFinal, contextId}`; at most 5 open contexts per socket,
 *   beyond which the socket is closed with 1008 and `max_active_conversations`). Each audio
 *   message's `alignment` (`chars`, `charStartTimesMs`, `charDurationsMs`) holds the characters
 *   whose audio starts in it, timed from the start of that message's audio, as the reference's
 *   example message (times from 0) shows; the text's spaces are characters too.
 * - https://elevenlabs.io/docs/api-reference/text-to-speech/v-1-text-to-speech-voice-id-stream-input
 *   (`output_format`, `inactivity_timeout`: an idle socket is closed, 20 s by default)
 * Its "voice" is a tone, `msPerChar` of 8 kHz PCM per character (or the test's own synthesiser, whose
 * audio the alignment then spreads evenly over the characters).
 */
export class ElevenLabsWireServer extends WireServer {
  readonly key: string;
  /** Milliseconds of audio per character of text. */
  msPerChar = 20;
  /** Each audio message carries this much audio. */
  chunkMs = 100;
  /** Pause between a context's audio messages; 0 sends them back to back. */
  chunkGapMs = 0;
  /** Delay before a context's first audio (a slow provider); 0 answers at once. */
  firstByteDelayMs = 0;
  /** Overrides `inactivity_timeout` (seconds in the URL) for tests. */
  idleCloseMs: number | undefined;
  /** Renders text to 8 kHz PCM; default a tone. */
  synthesize: (text: string) => Int16Array | Promise<Int16Array> = (text) => tone(text.length * this.msPerChar);
  /** Open contexts per connection, as the service counts them. */
  readonly openContexts = new Map<WireConnection, Set<string>>();

  private constructor(key: string) {
    super();
    this.key = key;
  }

  static async start(key = 'el-test-key'): Promise<ElevenLabsWireServer> {
    const server = new ElevenLabsWireServer(key);
    await server.listen();
    return server;
  }

  protected accept(connection: WireConnection): void {
    const { socket } = connection;
    if (connection.headers['xi-api-key'] !== this.key) {
      socket.close(1008, 'invalid_api_key');
      return;
    }
    const contexts = new Set<string>();
    this.openContexts.set(connection, contexts);
    const idleMs = this.idleCloseMs ?? Number(connection.url.searchParams.get('inactivity_timeout') ?? 20) * 1000;
    let cancelIdle = schedule(idleMs, () => socket.close(1000, 'inactivity timeout'));
    socket.once('close', () => cancelIdle());
    const send = (frame: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
    socket.on('message', (_data, isBinary) => {
      cancelIdle();
      cancelIdle = schedule(idleMs, () => socket.close(1000, 'inactivity timeout'));
      if (isBinary) return;
      const message = connection.texts.at(-1) as Record<string, unknown>;
      const contextId = typeof message['context_id'] === 'string' ? message['context_id'] : 'default';
      if (message['close_socket'] === true) {
        socket.close(1000);
        return;
      }
      if (message['close_context'] === true) {
        contexts.delete(contextId);
        return;
      }
      if (!contexts.has(contextId)) {
        if (contexts.size >= 5) {
          send({
            message: 'Maximum simultaneous contexts per WebSocket connection exceeded (5).',
            error: 'max_active_conversations',
            code: 1008,
          });
          socket.close(1008, 'max_active_conversations');
          return;
        }
        contexts.add(contextId);
      }
      const text = typeof message['text'] === 'string' ? message['text'] : '';
      if (text.trim() === '' || message['flush'] !== true) return;
      const speak = async (): Promise<void> => {
        const spoken = text.trim();
        const pcm = await this.synthesize(spoken);
        const per = 8 * this.chunkMs;
        const charMs = spoken.length === 0 ? 0 : pcm.length / 8 / spoken.length;
        const sendFrom = (at: number): void => {
          if (!contexts.has(contextId)) return;
          if (at >= pcm.length) {
            send({ isFinal: true, contextId });
            return;
          }
          const part = pcm.subarray(at, Math.min(pcm.length, at + per));
          const fromMs = at / 8;
          const toMs = fromMs + part.length / 8;
          const indexes = Array.from(spoken, (_, i) => i).filter((i) => i * charMs >= fromMs && i * charMs < toMs);
          send({
            audio: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64'),
            alignment: {
              chars: indexes.map((i) => spoken[i]),
              charStartTimesMs: indexes.map((i) => Math.round(i * charMs - fromMs)),
              charDurationsMs: indexes.map(() => Math.round(charMs)),
            },
            contextId,
          });
          if (this.chunkGapMs > 0) schedule(this.chunkGapMs, () => sendFrom(at + per));
          else sendFrom(at + per);
        };
        sendFrom(0);
      };
      if (this.firstByteDelayMs > 0) schedule(this.firstByteDelayMs, () => void speak());
      else void speak();
    });
  }
}

/** `ms` of a 400 Hz tone at 8 kHz. */
export function tone(ms: number): Int16Array {
  const samples = new Int16Array(Math.round(ms * 8));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
  return samples;
}
