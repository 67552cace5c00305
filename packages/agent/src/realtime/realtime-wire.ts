import type { RealtimeAgentConfig, RealtimeUsage as RecordedUsage } from '@voicebridge/protocol';
import type { ToolDefinition } from '../llm/language-model.ts';
import { clean, errorEventOf, isRecord, text, type OpenAiErrorEvent } from './openai-wire-fields.ts';

/**
 * OpenAI Realtime, GA event names only (the beta names and the `OpenAI-Beta` header are
 * deprecated): https://developers.openai.com/api/reference/resources/realtime/client-events and
 * .../server-events. Everything the provider sends is read through `parseServerEvent`, which keeps
 * only the fields we use, each checked for its type: a malformed event is `ignored`, never thrown.
 */

export type G711Format = 'audio/pcmu' | 'audio/pcma';

/** Used when the number names no transcription model: the caller's words go in the record. */
export const DEFAULT_TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';

export interface SessionSettings {
  config: RealtimeAgentConfig;
  format: G711Format;
  tools: readonly ToolDefinition[];
  /** The instructions: the number's prompt, plus the conversation so far on a re-seeded session. */
  instructions: string;
}

/**
 * `session.update` for a phone leg. `interrupt_response: false`: on a carrier path nothing cancels
 * the echo of the model's own voice, and with it the server would cut its own reply; the bridge
 * decides barge-in itself. `bridge` turn detection turns the server's VAD off (null).
 */
export function sessionUpdate(settings: SessionSettings): Record<string, unknown> {
  const { config, format } = settings;
  const model = config.realtime;
  const turnDetection =
    model.turnDetection === 'bridge'
      ? null
      : model.turnDetection === 'semantic'
        ? { type: 'semantic_vad', eagerness: 'auto', create_response: true, interrupt_response: false }
        : { type: 'server_vad', create_response: true, interrupt_response: false };
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions: settings.instructions,
      output_modalities: ['audio'],
      audio: {
        input: {
          format: { type: format },
          transcription: { model: model.transcriptionModel ?? DEFAULT_TRANSCRIPTION_MODEL },
          turn_detection: turnDetection,
        },
        output: { format: { type: format }, ...(model.voice !== undefined && { voice: model.voice }) },
      },
      tools: settings.tools.map((tool) => ({
        type: 'function',
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters,
      })),
      tool_choice: 'auto',
    },
  };
}

export const clientEvents = {
  append: (audio: Uint8Array) => ({
    type: 'input_audio_buffer.append',
    audio: Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength).toString('base64'),
  }),
  commit: () => ({ type: 'input_audio_buffer.commit' }),
  /** Asks for a reply; `instructions` override the session's for this one (the greeting). */
  responseCreate: (instructions?: string) => ({
    type: 'response.create',
    ...(instructions !== undefined && { response: { instructions } }),
  }),
  responseCancel: () => ({ type: 'response.cancel' }),
  /**
   * An out-of-band response (`conversation: "none"`: not added to the conversation) that shows a
   * new session answers with audio; its audio is never played.
   */
  audioCheck: () => ({
    type: 'response.create',
    response: {
      conversation: 'none',
      output_modalities: ['audio'],
      instructions: 'Say only the word "ready".',
      metadata: { purpose: 'voicebridge-session-check' },
    },
  }),
  /** Trims the model's memory of an assistant item to what the caller heard (`audio_end_ms` of that item). */
  truncate: (itemId: string, audioEndMs: number) => ({
    type: 'conversation.item.truncate',
    item_id: itemId,
    content_index: 0,
    audio_end_ms: audioEndMs,
  }),
  functionOutput: (callId: string, output: string) => ({
    type: 'conversation.item.create',
    item: { type: 'function_call_output', call_id: callId, output },
  }),
  /** A user text item: context for the model (a key pressed). Never an assistant text item: see seeding. */
  userText: (text: string) => ({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  }),
};

export interface RealtimeUsage {
  inputTokens: number;
  outputTokens: number;
  inputAudioTokens: number;
  inputTextTokens: number;
  outputAudioTokens: number;
  outputTextTokens: number;
}

/** What one realtime call used, for the log and the record: message counts and the model's tokens. */
export function realtimeCounters(): Record<
  | keyof RealtimeUsage
  | 'appends'
  | 'appendsDropped'
  | 'deltas'
  | 'responses'
  | 'bargeIns'
  | 'truncates'
  | 'functionCalls'
  | 'errors'
  | 'ignored'
  | 'reconnects'
  | 'renewals',
  number
> {
  return {
    appends: 0,
    appendsDropped: 0,
    deltas: 0,
    responses: 0,
    bargeIns: 0,
    truncates: 0,
    functionCalls: 0,
    errors: 0,
    ignored: 0,
    reconnects: 0,
    renewals: 0,
    inputTokens: 0,
    outputTokens: 0,
    inputAudioTokens: 0,
    inputTextTokens: 0,
    outputAudioTokens: 0,
    outputTextTokens: 0,
  };
}

export interface FunctionCall {
  callId: string;
  name: string;
  arguments: string;
}

export type ServerEvent =
  | { type: 'session.updated' }
  | { type: 'response_created' }
  | { type: 'speech_started'; itemId: string | undefined }
  | { type: 'speech_stopped' }
  | { type: 'audio_delta'; itemId: string; responseId: string | undefined; audio: Buffer }
  | { type: 'audio_done'; itemId: string }
  | { type: 'output_transcript'; itemId: string; transcript: string }
  | { type: 'input_transcript'; itemId: string; transcript: string }
  | { type: 'response_done'; status: string; usage: RealtimeUsage | undefined; functionCalls: FunctionCall[] }
  | { type: 'rate_limits' }
  | OpenAiErrorEvent
  | { type: 'other'; name: string }
  | { type: 'ignored'; why: string };

/** The largest audio delta taken (decoded bytes): 60 s of 8 kHz G.711. */
const MAX_DELTA_BYTES = 480_000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseServerEvent(frame: Record<string, unknown> | undefined): ServerEvent {
  if (frame === undefined) return { type: 'ignored', why: 'not a JSON object' };
  const type = frame['type'];
  if (typeof type !== 'string') return { type: 'ignored', why: 'no type' };
  const itemId = text(frame['item_id']);
  switch (type) {
    case 'session.updated':
      return { type: 'session.updated' };
    case 'response.created':
      return { type: 'response_created' };
    case 'input_audio_buffer.speech_started':
      return { type: 'speech_started', itemId };
    case 'input_audio_buffer.speech_stopped':
      return { type: 'speech_stopped' };
    case 'response.output_audio.delta': {
      const delta = frame['delta'];
      if (itemId === undefined || typeof delta !== 'string' || !BASE64.test(delta))
        return { type: 'ignored', why: 'audio delta without item_id or base64 delta' };
      if ((delta.length * 3) / 4 > MAX_DELTA_BYTES) return { type: 'ignored', why: 'audio delta too large' };
      return {
        type: 'audio_delta',
        itemId,
        responseId: text(frame['response_id']),
        audio: Buffer.from(delta, 'base64'),
      };
    }
    case 'response.output_audio.done':
      return itemId === undefined
        ? { type: 'ignored', why: 'audio done without item_id' }
        : { type: 'audio_done', itemId };
    case 'response.output_audio_transcript.done':
    case 'conversation.item.input_audio_transcription.completed': {
      const transcript = text(frame['transcript']);
      if (itemId === undefined || transcript === undefined)
        return { type: 'ignored', why: `${type} without transcript` };
      const kind = type === 'response.output_audio_transcript.done' ? 'output_transcript' : 'input_transcript';
      return { type: kind, itemId, transcript: transcript.slice(0, 5000) };
    }
    case 'response.done':
      return responseDone(frame['response']);
    case 'rate_limits.updated':
      return { type: 'rate_limits' };
    case 'error':
      return errorEventOf(frame, 300);
    default:
      return { type: 'other', name: clean(type, 80) };
  }
}

function responseDone(response: unknown): ServerEvent {
  if (!isRecord(response)) return { type: 'ignored', why: 'response.done without response' };
  const functionCalls: FunctionCall[] = [];
  const output = Array.isArray(response['output']) ? response['output'] : [];
  for (const item of output.slice(0, 20)) {
    if (!isRecord(item) || item['type'] !== 'function_call') continue;
    const callId = text(item['call_id']);
    const name = text(item['name']);
    if (callId === undefined || name === undefined) continue;
    functionCalls.push({
      callId,
      name: name.slice(0, 64),
      arguments: (text(item['arguments']) ?? '').slice(0, 20_000),
    });
  }
  return {
    type: 'response_done',
    status: clean(text(response['status']) ?? 'unknown', 40),
    usage: usageOf(response['usage']),
    functionCalls,
  };
}

function usageOf(usage: unknown): RealtimeUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const input = isRecord(usage['input_token_details']) ? usage['input_token_details'] : {};
  const output = isRecord(usage['output_token_details']) ? usage['output_token_details'] : {};
  return {
    inputTokens: count(usage['input_tokens']),
    outputTokens: count(usage['output_tokens']),
    inputAudioTokens: count(input['audio_tokens']),
    inputTextTokens: count(input['text_tokens']),
    outputAudioTokens: count(output['audio_tokens']),
    outputTextTokens: count(output['text_tokens']),
  };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(Math.floor(value), 1e9) : 0;
}

/** The record's `realtime` block from the call's counters (tokens and session events, no message counts). */
export function recordOf(model: string, u: ReturnType<typeof realtimeCounters>): RecordedUsage {
  return {
    model,
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    inputAudioTokens: u.inputAudioTokens,
    inputTextTokens: u.inputTextTokens,
    outputAudioTokens: u.outputAudioTokens,
    outputTextTokens: u.outputTextTokens,
    responses: u.responses,
    bargeIns: u.bargeIns,
    truncates: u.truncates,
    errors: u.errors,
    reconnects: u.reconnects,
    renewals: u.renewals,
  };
}
