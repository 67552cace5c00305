import { schedule } from '../../../../test/support/wait-for.ts';
import { WireServer, type WireConnection } from './wire-server.ts';

/**
 * A local Deepgram live-transcription server, written from the published reference (no cloud is
 * reachable here):
 * - https://developers.deepgram.com/reference/speech-to-text/listen-streaming (URL, query, `Token` auth,
 *   `Results` with `is_final`/`speech_final`/`channel.alternatives[0].transcript`, `UtteranceEnd`, `Metadata`)
 * - https://developers.deepgram.com/docs/audio-keep-alive (`KeepAlive`; the socket is closed after
 *   10 s without audio or KeepAlive, NET-0001)
 * - https://developers.deepgram.com/docs/finalize and /docs/close-stream (`Finalize` flushes the
 *   audio so far as a final result; `CloseStream` sends what is left, `Metadata`, then closes 1000)
 * The transcripts are scripted per test: each is sent once the client's audio reaches a time.
 */
export interface ScriptedFrame {
  /** Sent once this much audio (ms of 8 kHz 16-bit PCM) has arrived. */
  atAudioMs: number;
  /** A JSON frame, or a raw text frame (malformed on purpose). */
  frame: unknown;
}

export interface DeepgramScript {
  frames?: ScriptedFrame[];
  /** Sent in answer to `Finalize`. */
  onFinalize?: unknown[];
  /** The socket is dropped (TCP) once this much audio has arrived: a provider dying mid-stream. */
  dropAtAudioMs?: number;
}

/** A `Results` frame as Deepgram sends it. */
export function results(
  transcript: string,
  options: { isFinal: boolean; speechFinal?: boolean; startS?: number; durationS?: number; fromFinalize?: boolean },
): Record<string, unknown> {
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: options.durationS ?? 1,
    start: options.startS ?? 0,
    is_final: options.isFinal,
    speech_final: options.speechFinal ?? false,
    from_finalize: options.fromFinalize ?? false,
    channel: { alternatives: [{ transcript, confidence: 0.98, words: [] }] },
    metadata: { request_id: 'local', model_info: { name: 'local' } },
  };
}

export class DeepgramWireServer extends WireServer {
  /** The key the server accepts (`Authorization: Token KEY`); others get 401. */
  readonly key: string;
  script: DeepgramScript = {};
  /** Deepgram's idle close (10 s in the service); tests shorten it. */
  idleCloseMs = 10_000;

  private constructor(key: string) {
    super();
    this.key = key;
  }

  static async start(key = 'dg-test-key'): Promise<DeepgramWireServer> {
    const server = new DeepgramWireServer(key);
    await server.listen();
    return server;
  }

  get url(): string {
    return `${this.origin}/v1/listen`;
  }

  protected accept(connection: WireConnection): void {
    const { socket } = connection;
    if (connection.headers.authorization !== `Token ${this.key}`) {
      // The service refuses the upgrade itself; a server that accepted first closes with 1008.
      socket.close(1008, 'invalid credentials');
      return;
    }
    const pending = [...(this.script.frames ?? [])];
    const { dropAtAudioMs, onFinalize = [] } = this.script;
    let cancelIdle = schedule(this.idleCloseMs, () => idle());
    const idle = (): void => {
      send({ type: 'Error', err_code: 'NET-0001', description: 'no audio received within the timeout' });
      socket.close(1011, 'NET-0001');
    };
    const activity = (): void => {
      cancelIdle();
      cancelIdle = schedule(this.idleCloseMs, idle);
    };
    const send = (frame: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    };
    socket.once('close', () => cancelIdle());
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        activity();
        const audioMs = connection.binaryBytes / 16;
        if (dropAtAudioMs !== undefined && audioMs >= dropAtAudioMs) {
          socket.terminate();
          return;
        }
        while (pending.length > 0 && pending[0]!.atAudioMs <= audioMs) send(pending.shift()!.frame);
        return;
      }
      const type = (connection.texts.at(-1) as { type?: unknown } | undefined)?.type;
      if (type === 'KeepAlive') activity();
      else if (type === 'Finalize') for (const frame of onFinalize) send(frame);
      else if (type === 'CloseStream') {
        send({ type: 'Metadata', request_id: 'local', duration: connection.binaryBytes / 16000, channels: 1 });
        socket.close(1000);
      }
    });
  }
}
