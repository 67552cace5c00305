import { WireServer, type WireConnection } from './wire-server.ts';

/**
 * A local OpenAI realtime transcription server, written from the published reference (no cloud is
 * reachable here):
 * - https://developers.openai.com/api/docs/guides/realtime-transcription (`wss://…/v1/realtime?intent=transcription`
 *   without `model`, `Authorization: Bearer KEY`, `session.update` with `session.type: "transcription"`,
 *   `input_audio_buffer.append` with base64 audio, deltas as speech arrives, a final per committed turn)
 * - https://developers.openai.com/api/docs/guides/realtime-vad (models with VAD default to `server_vad`;
 *   `gpt-live-transcribe` and `gpt-realtime-whisper` need `turn_detection` omitted or null and a
 *   client `input_audio_buffer.commit` per turn)
 * - https://developers.openai.com/api/reference/resources/realtime/client-events and server-events, as
 *   typed in openai-node `src/resources/realtime/realtime.ts` (`session.created`, `session.updated`,
 *   `input_audio_buffer.speech_started {audio_start_ms, item_id}`, `.speech_stopped {audio_end_ms, item_id}`,
 *   `.committed {item_id, previous_item_id}`, `conversation.item.input_audio_transcription.delta
 *   {item_id, content_index, delta}`, `.completed {item_id, content_index, transcript, usage}`,
 *   `error {event_id, error: {type, code, message, param}}`; committing an empty buffer is an error)
 * Server-side turns are scripted per test (each frame sent once the client's audio reaches a time);
 * turns the client commits get the script's `onCommit` frames.
 */
export interface OpenAiScriptedFrame {
  atAudioMs: number;
  /** A JSON event, or a raw text frame (malformed on purpose). */
  frame: unknown;
}

export interface OpenAiScript {
  frames?: OpenAiScriptedFrame[];
  /** Events answering a client commit that had audio, after `input_audio_buffer.committed`; default an empty transcript. */
  onCommit?: (itemId: string, audioMs: number) => unknown[];
  /** The socket is dropped (TCP) once this much audio has arrived. */
  dropAtAudioMs?: number;
  /** From this much audio on, the server says nothing more but keeps reading: a stalled provider. */
  silentFromAudioMs?: number;
  /** Answers `session.update` with this error event instead of `session.updated`. */
  sessionError?: { type: string; code: string; message: string };
}

/** The models the reference lists for `audio.input.transcription.model`. */
const MODELS = [
  'whisper-1',
  'gpt-transcribe',
  'gpt-live-transcribe',
  'gpt-4o-mini-transcribe',
  'gpt-4o-mini-transcribe-2025-12-15',
  'gpt-4o-transcribe',
  'gpt-4o-transcribe-diarize',
  'gpt-realtime-whisper',
];
const NO_VAD_MODELS = ['gpt-live-transcribe', 'gpt-realtime-whisper'];

let nextEvent = 0;
const eventId = (): string => `event_${++nextEvent}`;

export function errorEvent(type: string, code: string, message: string): Record<string, unknown> {
  return { type: 'error', event_id: eventId(), error: { type, code, message, param: null, event_id: null } };
}

/** One server-VAD turn as the reference sequences it: speech started/stopped, committed, deltas, completed. */
export function vadTurn(
  itemId: string,
  words: string[],
  options: { startMs: number; endMs: number; previousItemId?: string | null },
): Record<string, unknown>[] {
  const item = { item_id: itemId, content_index: 0 };
  return [
    {
      type: 'input_audio_buffer.speech_started',
      event_id: eventId(),
      audio_start_ms: options.startMs,
      item_id: itemId,
    },
    { type: 'input_audio_buffer.speech_stopped', event_id: eventId(), audio_end_ms: options.endMs, item_id: itemId },
    {
      type: 'input_audio_buffer.committed',
      event_id: eventId(),
      item_id: itemId,
      previous_item_id: options.previousItemId ?? null,
    },
    ...transcription(itemId, words).map((event) => ({ ...event, ...item })),
  ];
}

/** Deltas (a word each, with its space) then the completed transcript of an item. */
export function transcription(itemId: string, words: string[]): Record<string, unknown>[] {
  return [
    ...words.map((word, i) => ({
      type: 'conversation.item.input_audio_transcription.delta',
      event_id: eventId(),
      item_id: itemId,
      content_index: 0,
      delta: i === 0 ? word : ` ${word}`,
    })),
    completed(itemId, words.join(' ')),
  ];
}

export function completed(itemId: string, transcript: string): Record<string, unknown> {
  return {
    type: 'conversation.item.input_audio_transcription.completed',
    event_id: eventId(),
    item_id: itemId,
    content_index: 0,
    transcript,
    usage: { type: 'duration', seconds: 1 },
  };
}

export class OpenAiTranscriptionWireServer extends WireServer {
  readonly key: string;
  script: OpenAiScript = {};
  /** Per connection, the μ-law bytes appended (decoded from base64), in order. */
  readonly audio = new Map<WireConnection, Buffer[]>();
  /** `performance.now()` of each `completed` event sent: the start of the latency measurement. */
  readonly completedSentAt = new Map<string, number>();

  private constructor(key: string) {
    super();
    this.key = key;
  }

  static async start(key = 'sk-test-openai'): Promise<OpenAiTranscriptionWireServer> {
    const server = new OpenAiTranscriptionWireServer(key);
    await server.listen();
    return server;
  }

  get url(): string {
    return `${this.origin}/v1/realtime?intent=transcription`;
  }

  /** μ-law bytes appended on a connection so far. */
  audioBytes(connection: WireConnection | undefined): number {
    return (connection === undefined ? [] : (this.audio.get(connection) ?? [])).reduce((n, b) => n + b.length, 0);
  }

  protected accept(connection: WireConnection): void {
    const { socket } = connection;
    const send = (frame: unknown): void => {
      if (socket.readyState !== socket.OPEN) return;
      const event = frame as { type?: unknown; item_id?: unknown };
      if (event.type === 'conversation.item.input_audio_transcription.completed' && typeof event.item_id === 'string')
        this.completedSentAt.set(event.item_id, performance.now());
      socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    };
    if (connection.headers.authorization !== `Bearer ${this.key}`) {
      send(errorEvent('invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.'));
      socket.close(1008, 'invalid_api_key');
      return;
    }
    send({ type: 'session.created', event_id: eventId(), session: { type: 'transcription', id: 'sess_local' } });
    const chunks: Buffer[] = [];
    this.audio.set(connection, chunks);
    const script = this.script;
    const pending = [...(script.frames ?? [])];
    let bytes = 0;
    let sinceCommit = 0;
    let items = 0;
    let configured = false;
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const message = connection.texts.at(-1) as Record<string, unknown> | undefined;
      const audioMs = bytes / 8;
      const silent = script.silentFromAudioMs !== undefined && audioMs >= script.silentFromAudioMs;
      switch (message?.['type']) {
        case 'session.update': {
          if (script.sessionError) {
            const { type, code, message: text } = script.sessionError;
            return send(errorEvent(type, code, text));
          }
          const problem = sessionProblem(message['session']);
          if (problem !== undefined) return send(errorEvent('invalid_request_error', 'invalid_value', problem));
          configured = true;
          return send({ type: 'session.updated', event_id: eventId(), session: message['session'] });
        }
        case 'input_audio_buffer.append': {
          const audio = message['audio'];
          if (!configured || typeof audio !== 'string')
            return send(
              errorEvent('invalid_request_error', 'invalid_value', 'append before the session or without audio'),
            );
          const chunk = Buffer.from(audio, 'base64');
          chunks.push(chunk);
          bytes += chunk.length;
          sinceCommit += chunk.length;
          const nowMs = bytes / 8;
          if (script.dropAtAudioMs !== undefined && nowMs >= script.dropAtAudioMs) return socket.terminate();
          if (script.silentFromAudioMs !== undefined && nowMs >= script.silentFromAudioMs) return;
          while (pending.length > 0 && pending[0]!.atAudioMs <= nowMs) send(pending.shift()!.frame);
          return;
        }
        case 'input_audio_buffer.commit': {
          if (silent) return;
          if (sinceCommit === 0)
            return send(errorEvent('invalid_request_error', 'input_audio_buffer_commit_empty', 'buffer too small'));
          sinceCommit = 0;
          const itemId = `item_commit_${++items}`;
          send({ type: 'input_audio_buffer.committed', event_id: eventId(), item_id: itemId, previous_item_id: null });
          for (const frame of script.onCommit?.(itemId, audioMs) ?? [completed(itemId, '')]) send(frame);
          return;
        }
        default:
          if (!silent) send(errorEvent('invalid_request_error', 'unknown_event', 'unknown client event'));
      }
    });
  }
}

/** Why a `session.update` is refused, per the reference; undefined when it is fine. */
function sessionProblem(session: unknown): string | undefined {
  const s = session as {
    type?: unknown;
    audio?: { input?: { format?: { type?: unknown }; transcription?: { model?: unknown }; turn_detection?: unknown } };
  };
  if (s?.type !== 'transcription') return 'session.type must be transcription on this socket';
  const input = s.audio?.input;
  if (!['audio/pcmu', 'audio/pcma', 'audio/pcm'].includes(input?.format?.type as string))
    return 'invalid audio.input.format';
  const model = input?.transcription?.model;
  if (typeof model !== 'string' || !MODELS.includes(model)) return `invalid model ${String(model)}`;
  if (NO_VAD_MODELS.includes(model) && input?.turn_detection !== null && input?.turn_detection !== undefined)
    return `${model} does not support turn detection`;
  return undefined;
}
