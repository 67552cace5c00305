/**
 * OpenAI realtime transcription, GA wire (no `OpenAI-Beta` header, `session.type: "transcription"`):
 * - https://developers.openai.com/api/docs/guides/realtime-transcription (connect to
 *   `wss://api.openai.com/v1/realtime?intent=transcription` without `model`, then `session.update`)
 * - https://developers.openai.com/api/docs/guides/realtime-vad (transcription models with VAD default
 *   to `server_vad`; `gpt-live-transcribe` and `gpt-realtime-whisper` take `turn_detection: null`
 *   and the client commits each turn with `input_audio_buffer.commit`)
 * - https://developers.openai.com/api/reference/resources/realtime/client-events and server-events
 *   (the types of openai-node `src/resources/realtime/realtime.ts`: `AudioTranscription`,
 *   `ConversationItemInputAudioTranscriptionDeltaEvent`, `…CompletedEvent`, `…FailedEvent`,
 *   `InputAudioBufferSpeechStartedEvent`, `…SpeechStoppedEvent`, `…CommittedEvent`, `RealtimeErrorEvent`)
 * Everything the provider sends is read through `parseTranscriptionEvent`, which keeps only the
 * fields used, each checked for its type: a malformed event is `ignored`, never thrown.
 */

import { clean, errorEventOf, isRecord, text, type OpenAiErrorEvent } from '../realtime/openai-wire-fields.ts';

export const OPENAI_TRANSCRIPTION_URL = 'wss://api.openai.com/v1/realtime?intent=transcription';
/** A transcription model with server VAD and streamed deltas, on the reference's model list. */
export const OPENAI_STT_DEFAULT_MODEL = 'gpt-4o-transcribe';
/** Models the reference says take no turn detection: the client commits each turn itself. */
export const CLIENT_COMMIT_MODELS: readonly string[] = ['gpt-live-transcribe', 'gpt-realtime-whisper'];
/** Models the reference lists as taking `keywords`; the others take a free-text `prompt`. */
const KEYWORD_MODELS: readonly string[] = ['gpt-transcribe', 'gpt-live-transcribe'];
/** Transcript text kept per item: far more than a caller says in one turn. */
const MAX_ITEM_TEXT = 5000;

export interface TranscriptionSettings {
  model: string;
  /** ISO-639-1 (`en`); a BCP 47 tag is cut to its language (`en-US` → `en`); anything else (`multi`) is left to the model. */
  language?: string;
  keywords?: readonly string[];
  /** Server VAD: silence that ends a turn. Default 500 (the reference's default). */
  silenceDurationMs?: number;
}

/** True when the model takes no turn detection and the client commits each turn. */
export function clientCommits(model: string): boolean {
  return CLIENT_COMMIT_MODELS.includes(model);
}

/**
 * `session.update` for a phone leg: G.711 μ-law 8 kHz in (`audio/pcmu`, the one 8 kHz format the
 * API takes: PCM would have to be resampled to 24 kHz), the transcription model, and server VAD
 * where the model has it (its `speech_stopped` and commit end a turn).
 */
export function transcriptionSessionUpdate(settings: TranscriptionSettings): Record<string, unknown> {
  const { model, keywords = [] } = settings;
  const part = settings.language?.split('-')[0]?.toLowerCase();
  const language = part !== undefined && /^[a-z]{2}$/.test(part) ? part : undefined;
  const hints =
    keywords.length === 0
      ? {}
      : KEYWORD_MODELS.includes(model)
        ? { keywords: keywords.slice(0, 100) }
        : { prompt: `Words the caller may say: ${keywords.slice(0, 100).join(', ')}.` };
  return {
    type: 'session.update',
    session: {
      type: 'transcription',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model, ...(language !== undefined && { language }), ...hints },
          turn_detection: clientCommits(model)
            ? null
            : {
                type: 'server_vad',
                threshold: 0.5,
                prefix_padding_ms: 300,
                silence_duration_ms: settings.silenceDurationMs ?? 500,
              },
        },
      },
    },
  };
}

export function appendEvent(mulaw: Uint8Array): Record<string, unknown> {
  return {
    type: 'input_audio_buffer.append',
    audio: Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64'),
  };
}

export const COMMIT_EVENT = { type: 'input_audio_buffer.commit' } as const;

export type TranscriptionEvent =
  | { type: 'session.updated' }
  | { type: 'speech_started'; itemId: string | undefined; audioStartMs: number | undefined }
  | { type: 'speech_stopped'; itemId: string | undefined; audioEndMs: number | undefined }
  | { type: 'committed'; itemId: string }
  | { type: 'delta'; itemId: string; delta: string }
  | { type: 'completed'; itemId: string; transcript: string }
  | { type: 'failed'; itemId: string; message: string }
  | OpenAiErrorEvent
  | { type: 'other'; name: string }
  | { type: 'ignored'; why: string };

export function parseTranscriptionEvent(frame: Record<string, unknown> | undefined): TranscriptionEvent {
  if (frame === undefined) return { type: 'ignored', why: 'not a JSON object' };
  const type = frame['type'];
  if (typeof type !== 'string') return { type: 'ignored', why: 'no type' };
  const itemId = text(frame['item_id']);
  switch (type) {
    // The beta name of the same answer, still sent by some compatible servers.
    case 'session.updated':
    case 'transcription_session.updated':
      return { type: 'session.updated' };
    case 'input_audio_buffer.speech_started':
      return { type: 'speech_started', itemId, audioStartMs: ms(frame['audio_start_ms']) };
    case 'input_audio_buffer.speech_stopped':
      return { type: 'speech_stopped', itemId, audioEndMs: ms(frame['audio_end_ms']) };
    case 'input_audio_buffer.committed':
      return itemId === undefined
        ? { type: 'ignored', why: 'committed without item_id' }
        : { type: 'committed', itemId };
    case 'conversation.item.input_audio_transcription.delta': {
      const delta = text(frame['delta']);
      if (itemId === undefined || delta === undefined) return { type: 'ignored', why: 'delta without item_id or text' };
      return { type: 'delta', itemId, delta: delta.slice(0, MAX_ITEM_TEXT) };
    }
    case 'conversation.item.input_audio_transcription.completed': {
      const transcript = text(frame['transcript']);
      if (itemId === undefined || transcript === undefined)
        return { type: 'ignored', why: 'completed without item_id or transcript' };
      return { type: 'completed', itemId, transcript: transcript.slice(0, MAX_ITEM_TEXT) };
    }
    case 'conversation.item.input_audio_transcription.failed': {
      if (itemId === undefined) return { type: 'ignored', why: 'failed without item_id' };
      const error = isRecord(frame['error']) ? frame['error'] : {};
      return { type: 'failed', itemId, message: clean(text(error['message']) ?? text(error['code']) ?? '', 200) };
    }
    case 'error':
      return errorEventOf(frame, 200);
    default:
      return { type: 'other', name: clean(type, 80) };
  }
}

/** Kept for the item's text: the provider's own deltas are appended verbatim (they carry their spaces). */
export function appendText(sofar: string, delta: string): string {
  return (sofar + delta).slice(0, MAX_ITEM_TEXT);
}

function ms(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
