import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { repeatEvery } from '../../../../test/support/wait-for.ts';

/**
 * A stand-in for an OpenAI-compatible chat-completions server (no cloud is reachable here): a real
 * `node:http` server on 127.0.0.1, speaking the documented streaming wire format — `text/event-stream`,
 * one `data: {chat.completion.chunk}` event per delta, `data: [DONE]` at the end — scripted per test.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  /** Resolves when the client's connection for this request has closed. */
  closed: Promise<void>;
}

/** How the server answers a request. */
export type Script = (request: RecordedRequest, response: ServerResponse) => Promise<void>;

export class FakeOpenAiServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  #script: Script = streamText(['Hello', '.']);
  #closing: Promise<void> | undefined;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<FakeOpenAiServer> {
    const server = createServer();
    const fake = new FakeOpenAiServer(server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void fake.#handle(request, response));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }

  /** Answers every following request with `script`. */
  respondWith(script: Script): void {
    this.#script = script;
  }

  /** Idempotent; drops open connections (stalled streams included). */
  close(): Promise<void> {
    return (this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    }));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const closed = once(response, 'close').then(() => undefined);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      headers: request.headers,
      body,
      closed,
    };
    this.requests.push(recorded);
    try {
      await this.#script(recorded, response);
    } catch {
      response.destroy();
    }
  }
}

/** One `chat.completion.chunk` as OpenAI documents it. */
export function chunk(
  delta: Record<string, unknown>,
  finishReason: string | null = null,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'fake-model',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...extra,
  };
}

export interface StreamOptions {
  /** Line ending of the event stream. Default `\n`. */
  eol?: '\n' | '\r\n';
  /** Writes the stream in pieces of this many bytes, each its own write (cuts through lines and UTF-8). */
  writeBytes?: number;
  /** Lines sent before the first event, e.g. `: keep-alive` comments. */
  preamble?: string[];
  /** Sends `data: [DONE]` at the end. Default true. */
  done?: boolean;
  /** How the stream ends: `end` (a clean close), `destroy` (the socket cut), `stall` (never). Default `end`. */
  ending?: 'end' | 'destroy' | 'stall';
}

/** Streams the given payloads as SSE events, each a `data:` line (objects as JSON, strings raw). */
export function streamEvents(payloads: Array<Record<string, unknown> | string>, options: StreamOptions = {}): Script {
  const { eol = '\n', writeBytes, preamble = [], done = true, ending = 'end' } = options;
  return async (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let text = preamble.map((line) => `${line}${eol}`).join('');
    for (const payload of payloads)
      text += `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}${eol}${eol}`;
    if (done) text += `data: [DONE]${eol}${eol}`;
    const bytes = Buffer.from(text, 'utf8');
    const step = writeBytes ?? bytes.length;
    for (let at = 0; at < bytes.length; at += step) {
      await write(response, bytes.subarray(at, at + step));
      // A turn of the event loop between writes, so they leave as separate TCP segments.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (ending === 'end') response.end();
    else if (ending === 'destroy') response.socket?.destroy();
  };
}

/** A text answer, one delta per piece, then `finish_reason: stop`. */
export function streamText(pieces: string[], options: StreamOptions & { finishReason?: string | null } = {}): Script {
  const { finishReason = 'stop', ...stream } = options;
  const payloads = [chunk({ role: 'assistant', content: '' }), ...pieces.map((piece) => chunk({ content: piece }))];
  if (finishReason !== null) payloads.push(chunk({}, finishReason));
  return streamEvents(payloads, stream);
}

/** A reply with a JSON (or raw text) body, as providers send their errors. */
export function errorReply(
  status: number,
  body: Record<string, unknown> | string,
  headers: Record<string, string> = {},
): Script {
  return async (_request, response) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
      ...headers,
    });
    response.end(text);
    await Promise.resolve();
  };
}

/** A whole `chat.completion` in one JSON body, as a server that ignores `stream: true` sends it. */
export function wholeCompletion(message: Record<string, unknown>, finishReason: string): Script {
  const completion = {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'fake-model',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }],
    usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
  };
  return errorReply(200, completion);
}

/** Never answers: not even the headers. */
export function stallBeforeHeaders(): Script {
  return async () => {};
}

/** Sends keep-alive comments forever (every `everyMs`) and never a token; stops when the client leaves. */
export function keepAliveOnly(everyMs: number): Script {
  return async (request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const stop = repeatEvery(everyMs, () => response.write(': keep-alive\n\n'));
    await request.closed;
    stop();
  };
}

function write(response: ServerResponse, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => response.write(bytes, (error) => (error ? reject(error) : resolve())));
}
