import { pcmaEncode, pcmuEncode } from '@voicebridge/rtp';
import { WireServer, type WireConnection } from '../engines/wire-server.ts';

// Written from OpenAI's published GA Realtime reference (event names, fields, error shape):
// https://developers.openai.com/api/reference/resources/realtime/client-events
// https://developers.openai.com/api/reference/resources/realtime/server-events
// https://developers.openai.com/api/docs/guides/realtime-conversations (truncate, function calls)

/** What the server says to the next `response.create`: spoken audio with its transcript, or a function call. */
export type ScriptedResponse =
  | { kind: 'audio'; pcm: Int16Array; transcript: string }
  | { kind: 'function'; name: string; arguments: string }
  | { kind: 'error'; code: string; message: string };

export interface ClientEvent {
  type: string;
  [field: string]: unknown;
}

/**
 * A local OpenAI Realtime server: accepts `session.update` (answers `session.updated`, or an `error`
 * when told), answers each `response.create` with the next scripted response (G.711 deltas of
 * `deltaBytes`, an odd size, so the client must re-frame, in the session's output format, μ-law or
 * A-law; then `.done`, the transcript, and
 * `response.done` with usage), keeps every client event per connection, answers `truncate` with
 * `conversation.item.truncated` (or the reference's error when `audio_end_ms` is past the item's
 * audio), and `response.cancel` with `response.done` status `cancelled`.
 */
export class RealtimeWireServer extends WireServer {
  readonly #responses: ScriptedResponse[] = [];
  /** The next session.update is answered with this error instead. */
  sessionError: { code: string; message: string } | undefined;
  deltaBytes = 1234;
  #counter = 0;
  #responseCount = 0;
  readonly #itemMs = new Map<string, number>();
  /** Connections whose session asked for A-law output (`audio/pcma`); the rest get μ-law. */
  readonly #alaw = new WeakSet<WireConnection>();

  static async start(): Promise<RealtimeWireServer> {
    const server = new RealtimeWireServer();
    await server.listen();
    return server;
  }

  url(path = '/v1/realtime'): string {
    return `${this.origin}${path}`;
  }

  respondWith(...responses: ScriptedResponse[]): void {
    this.#responses.push(...responses);
  }

  events(connection: WireConnection | undefined, type?: string): ClientEvent[] {
    return (connection?.texts ?? []).filter(
      (t): t is ClientEvent =>
        typeof t === 'object' && t !== null && (type === undefined || (t as ClientEvent).type === type),
    );
  }

  allEvents(type: string): ClientEvent[] {
    return this.connections.flatMap((c) => this.events(c, type));
  }

  /** Sends raw text to the latest connection (malformed events, scripted server events). */
  sendRaw(text: string, connection = this.connections.at(-1)): void {
    connection?.socket.send(text);
  }

  send(event: Record<string, unknown>, connection = this.connections.at(-1)): void {
    this.sendRaw(JSON.stringify({ event_id: `event_${++this.#counter}`, ...event }), connection);
  }

  protected accept(connection: WireConnection): void {
    connection.socket.on('message', (data: Buffer) => {
      let event: ClientEvent;
      try {
        event = JSON.parse(data.toString('utf8')) as ClientEvent;
      } catch {
        return this.send(
          { type: 'error', error: { type: 'invalid_request_error', code: 'invalid_json', message: 'bad JSON' } },
          connection,
        );
      }
      this.#onEvent(connection, event);
    });
  }

  #onEvent(connection: WireConnection, event: ClientEvent): void {
    switch (event.type) {
      case 'session.update': {
        const error = this.sessionError;
        this.sessionError = undefined;
        if (error) return this.send({ type: 'error', error: { type: 'invalid_request_error', ...error } }, connection);
        if (outputFormatOf(event) === 'audio/pcma') this.#alaw.add(connection);
        return this.send({ type: 'session.updated', session: event['session'] }, connection);
      }
      case 'response.create':
        // An out-of-band response (`conversation: "none"`) is not part of the scripted conversation.
        if ((event['response'] as { conversation?: unknown } | undefined)?.conversation === 'none')
          return this.#respondOutOfBand(connection);
        return this.#respond(connection);
      case 'conversation.item.truncate': {
        const itemId = String(event['item_id']);
        const endMs = Number(event['audio_end_ms']);
        const itemMs = this.#itemMs.get(itemId);
        if (itemMs === undefined || endMs > itemMs)
          return this.send(
            {
              type: 'error',
              error: {
                type: 'invalid_request_error',
                code: 'invalid_value',
                message: 'audio_end_ms is past the audio',
              },
            },
            connection,
          );
        return this.send(
          { type: 'conversation.item.truncated', item_id: itemId, content_index: 0, audio_end_ms: endMs },
          connection,
        );
      }
      case 'response.cancel':
        return this.send(
          { type: 'response.done', response: { id: 'resp_cancelled', status: 'cancelled', output: [] } },
          connection,
        );
      default:
        return;
    }
  }

  /** 100 ms of tone as audio, then `response.done` with no conversation (`conversation_id: null`). */
  #respondOutOfBand(connection: WireConnection): void {
    const responseId = `resp_oob_${++this.#responseCount}`;
    const itemId = `item_oob_${this.#responseCount}`;
    this.send(
      { type: 'response.created', response: { id: responseId, status: 'in_progress', conversation_id: null } },
      connection,
    );
    const pcm = Int16Array.from({ length: 800 }, (_, i) => Math.round(4000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    const g711 = new Uint8Array(pcm.length);
    if (this.#alaw.has(connection)) pcmaEncode(pcm, g711);
    else pcmuEncode(pcm, g711);
    const delta = Buffer.from(g711).toString('base64');
    const ids = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
    this.send({ type: 'response.output_audio.delta', ...ids, delta }, connection);
    this.send({ type: 'response.output_audio.done', ...ids }, connection);
    this.send(
      {
        type: 'response.done',
        response: {
          id: responseId,
          status: 'completed',
          conversation_id: null,
          output: [{ id: itemId, type: 'message' }],
          usage: usage(30, 15),
        },
      },
      connection,
    );
  }

  #respond(connection: WireConnection): void {
    const script = this.#responses.shift();
    const n = ++this.#responseCount;
    const responseId = `resp_${n}`;
    const itemId = `item_${n}`;
    if (script === undefined) return;
    if (script.kind === 'error') {
      return this.send(
        { type: 'error', error: { type: 'invalid_request_error', code: script.code, message: script.message } },
        connection,
      );
    }
    this.send({ type: 'response.created', response: { id: responseId, status: 'in_progress' } }, connection);
    if (script.kind === 'function') {
      const callId = `call_${n}`;
      this.send(
        {
          type: 'response.function_call_arguments.done',
          response_id: responseId,
          item_id: itemId,
          output_index: 0,
          call_id: callId,
          arguments: script.arguments,
        },
        connection,
      );
      return this.send(
        {
          type: 'response.done',
          response: {
            id: responseId,
            status: 'completed',
            output: [
              { id: itemId, type: 'function_call', name: script.name, call_id: callId, arguments: script.arguments },
            ],
            usage: usage(20, 10),
          },
        },
        connection,
      );
    }
    const g711 = new Uint8Array(script.pcm.length);
    if (this.#alaw.has(connection)) pcmaEncode(script.pcm, g711);
    else pcmuEncode(script.pcm, g711);
    this.#itemMs.set(itemId, Math.floor(g711.length / 8));
    this.send(
      { type: 'conversation.item.added', item: { id: itemId, type: 'message', role: 'assistant' } },
      connection,
    );
    for (let at = 0; at < g711.length; at += this.deltaBytes) {
      const delta = Buffer.from(g711.subarray(at, at + this.deltaBytes)).toString('base64');
      this.send(
        {
          type: 'response.output_audio.delta',
          response_id: responseId,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta,
        },
        connection,
      );
    }
    this.send(
      {
        type: 'response.output_audio.done',
        response_id: responseId,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
      },
      connection,
    );
    this.send(
      {
        type: 'response.output_audio_transcript.done',
        response_id: responseId,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        transcript: script.transcript,
      },
      connection,
    );
    this.send(
      {
        type: 'response.done',
        response: {
          id: responseId,
          status: 'completed',
          output: [{ id: itemId, type: 'message' }],
          usage: usage(100, 50),
        },
      },
      connection,
    );
  }
}

function outputFormatOf(event: ClientEvent): unknown {
  const session = event['session'] as { audio?: { output?: { format?: { type?: unknown } } } } | undefined;
  return session?.audio?.output?.format?.type;
}

function usage(input: number, output: number): Record<string, unknown> {
  return {
    total_tokens: input + output,
    input_tokens: input,
    output_tokens: output,
    input_token_details: { text_tokens: 10, audio_tokens: input - 10, cached_tokens: 0 },
    output_token_details: { text_tokens: 5, audio_tokens: output - 5 },
  };
}
