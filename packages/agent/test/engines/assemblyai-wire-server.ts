import { WireServer, type WireConnection } from './wire-server.ts';

/**
 * A local AssemblyAI Universal-Streaming v3 server, written from the published reference (no cloud
 * is reachable here):
 * - https://www.assemblyai.com/docs/streaming/message-sequence (Begin; binary PCM ~50 ms chunks;
 *   `Turn` partials with `end_of_turn: false`, then `end_of_turn: true`; client `Terminate` →
 *   in-flight turns, `Termination`, close 1000)
 * - https://assemblyai.com/docs/api-reference/streaming-api/streaming-api (`wss://…/v3/ws`,
 *   `Authorization` header with the key, `sample_rate`, `encoding`, `format_turns`, `speech_model`)
 * - https://assemblyai.com/docs/streaming/universal-streaming (`speech_model` is required: no default)
 * Turns are scripted per test: each is sent once the client's audio reaches a time.
 */
export interface AssemblyAiScriptedFrame {
  atAudioMs: number;
  /** A JSON frame, or a raw text frame (malformed on purpose). */
  frame: unknown;
}

export interface AssemblyAiScript {
  frames?: AssemblyAiScriptedFrame[];
  /** Sent in answer to `Terminate`, before `Termination`. */
  onTerminate?: unknown[];
  /** The socket is dropped (TCP) once this much audio has arrived. */
  dropAtAudioMs?: number;
}

/** A `Turn` message as AssemblyAI sends it. */
export function turn(
  transcript: string,
  options: { order: number; endOfTurn: boolean; formatted?: boolean; startMs?: number; endMs?: number },
): Record<string, unknown> {
  const words = transcript
    .split(' ')
    .filter((w) => w !== '')
    .map((text, i, all) => ({
      text,
      start: (options.startMs ?? 0) + i * 200,
      end:
        i === all.length - 1
          ? (options.endMs ?? (options.startMs ?? 0) + (i + 1) * 200)
          : (options.startMs ?? 0) + (i + 1) * 200,
      confidence: 0.9,
      word_is_final: options.endOfTurn,
    }));
  return {
    type: 'Turn',
    turn_order: options.order,
    turn_is_formatted: options.formatted ?? false,
    end_of_turn: options.endOfTurn,
    transcript,
    end_of_turn_confidence: options.endOfTurn ? 0.9 : 0.1,
    words,
  };
}

export class AssemblyAiWireServer extends WireServer {
  readonly key: string;
  script: AssemblyAiScript = {};

  private constructor(key: string) {
    super();
    this.key = key;
  }

  static async start(key = 'aai-test-key'): Promise<AssemblyAiWireServer> {
    const server = new AssemblyAiWireServer(key);
    await server.listen();
    return server;
  }

  get url(): string {
    return `${this.origin}/v3/ws`;
  }

  protected accept(connection: WireConnection): void {
    const { socket } = connection;
    if (connection.headers.authorization !== this.key) {
      socket.close(1008, 'Unauthorized connection');
      return;
    }
    if (!connection.url.searchParams.has('speech_model')) {
      socket.close(3006, 'speech_model is required');
      return;
    }
    const send = (frame: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    };
    send({ type: 'Begin', id: 'local-session', expires_at: Math.floor(Date.now() / 1000) + 3600 });
    const opened = Date.now();
    const pending = [...(this.script.frames ?? [])];
    const { dropAtAudioMs, onTerminate = [] } = this.script;
    socket.on('message', (_data: Buffer, isBinary) => {
      if (isBinary) {
        const audioMs = connection.binaryBytes / 16;
        if (dropAtAudioMs !== undefined && audioMs >= dropAtAudioMs) {
          socket.terminate();
          return;
        }
        while (pending.length > 0 && pending[0]!.atAudioMs <= audioMs) send(pending.shift()!.frame);
        return;
      }
      if ((connection.texts.at(-1) as { type?: unknown } | undefined)?.type !== 'Terminate') return;
      for (const frame of onTerminate) send(frame);
      send({
        type: 'Termination',
        audio_duration_seconds: connection.binaryBytes / 16000,
        session_duration_seconds: (Date.now() - opened) / 1000,
      });
      socket.close(1000);
    });
  }
}
