import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { schedule } from '../../../../test/support/wait-for.ts';

/** An error body as OpenAI sends it. */
export interface OpenAiError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** One request as the server saw it. */
export interface SpeechRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The JSON body, parsed (undefined when it was not JSON). */
  body: Record<string, unknown> | undefined;
}

/**
 * A local OpenAI speech server, written from the published reference (no cloud is reachable here):
 * - https://developers.openai.com/api/reference/resources/audio/subresources/speech/methods/create
 *   (`POST /v1/audio/speech`, `Authorization: Bearer KEY`, JSON `{model, input, voice,
 *   response_format}`, `input` at most 4096 characters; the audio is the body, `Transfer-Encoding:
 *   chunked`)
 * - https://platform.openai.com/docs/guides/text-to-speech (`pcm`: raw samples at 24 kHz, 16-bit
 *   signed little-endian, without a header; voices alloy, ash, ballad, coral, echo, fable, nova,
 *   onyx, sage, shimmer, verse)
 * - https://platform.openai.com/docs/guides/error-codes (401 invalid authentication, 403, 429 rate
 *   limit, 500, 503; bodies `{"error": {"message", "type", "param", "code"}}`; a 401's message
 *   quotes part of the key it was sent, `invalid_api_key`; an unknown model is `model_not_found`)
 * It checks the model, then the voice, then the input (an empty input is a 400 naming `input`), and
 * speaks a 440 Hz tone of `msPerChar` per character, written in `chunkBytes` pieces (odd by
 * default: a sample split across writes, as a chunked body may split it).
 */
export class OpenAiSpeechWireServer {
  readonly key: string;
  readonly requests: SpeechRequest[] = [];
  /** Requests to the speech endpoint, refused ones included. */
  attempts = 0;
  msPerChar = 20;
  chunkBytes = 4801;
  chunkGapMs = 0;
  firstByteDelayMs = 0;
  /** After this many body bytes a reply stops: the connection stays open, nothing more comes. */
  stallAfterBytes: number | undefined;
  /** After this many body bytes the server drops the connection (a provider dying mid-reply). */
  dieAfterBytes: number | undefined;
  /** Replies with a 200 whose body is a JSON error, not audio (a proxy's or gateway's answer). */
  jsonInsteadOfAudio = false;
  models = new Set(['gpt-4o-mini-tts', 'tts-1', 'tts-1-hd']);
  voices = new Set(['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse']);
  /** Replies whose client went away before their body ended (a barge-in), and those sent whole. */
  aborted = 0;
  completed = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #refusals: { status: number; retryAfterS?: number; error?: Partial<OpenAiError> }[] = [];
  #closing: Promise<void> | undefined;

  private constructor(key: string) {
    this.key = key;
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () =>
        this.#handle(request.method ?? '', request.url ?? '/', request.headers, chunks, response),
      );
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(key = 'sk-proj-openai-test-key'): Promise<OpenAiSpeechWireServer> {
    const server = new OpenAiSpeechWireServer(key);
    server.#server.listen(0, '127.0.0.1');
    await once(server.#server, 'listening');
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The next requests are refused with these statuses (and OpenAI-shaped bodies), in order. */
  refuse(...refusals: { status: number; retryAfterS?: number; error?: Partial<OpenAiError> }[]): void {
    this.#refusals.push(...refusals);
  }

  /** What the server speaks for `text`: 24 kHz PCM. */
  pcmFor(text: string): Int16Array {
    const samples = new Int16Array(Math.round(text.length * this.msPerChar * 24));
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 24_000));
    return samples;
  }

  /** Drops every connection at the TCP level. */
  kill(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      this.kill();
      this.#server.close();
      await once(this.#server, 'close').catch(() => {});
    })());
  }

  #handle(method: string, url: string, headers: IncomingHttpHeaders, chunks: Buffer[], response: ServerResponse): void {
    const path = new URL(url, 'http://127.0.0.1').pathname;
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    this.requests.push({ method, path, headers, body });
    if (method !== 'POST' || path !== '/v1/audio/speech') {
      error(response, 404, { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error' });
      return;
    }
    this.attempts++;
    const refusal = this.#refusals.shift();
    if (refusal !== undefined) {
      const extra: Record<string, string> =
        refusal.retryAfterS === undefined ? {} : { 'retry-after': String(refusal.retryAfterS) };
      error(
        response,
        refusal.status,
        { message: `refused (${refusal.status})`, type: 'server_error', ...refusal.error },
        extra,
      );
      return;
    }
    const auth = headers.authorization ?? '';
    if (auth !== `Bearer ${this.key}`) {
      const sent = auth.replace(/^Bearer /, '');
      error(response, 401, {
        message: `Incorrect API key provided: ${sent.slice(0, 3)}*****${sent.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      });
      return;
    }
    if (body === undefined) {
      error(response, 400, {
        message: 'We could not parse the JSON body of your request.',
        type: 'invalid_request_error',
      });
      return;
    }
    const { model, voice, input } = body;
    if (typeof model !== 'string' || !this.models.has(model)) {
      error(response, 404, {
        message: `The model \`${String(model)}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        code: 'model_not_found',
      });
      return;
    }
    if (typeof voice !== 'string' || !this.voices.has(voice)) {
      error(response, 400, {
        message: `Invalid value: '${String(voice)}'. Supported values are: ${[...this.voices].map((v) => `'${v}'`).join(', ')}.`,
        type: 'invalid_request_error',
        param: 'voice',
        code: 'invalid_value',
      });
      return;
    }
    if (typeof input !== 'string' || input.length === 0 || input.length > 4096) {
      error(response, 400, {
        message: typeof input === 'string' && input.length > 4096 ? 'string too long' : 'input must not be empty',
        type: 'invalid_request_error',
        param: 'input',
        code: typeof input === 'string' && input.length > 4096 ? 'string_above_max_length' : 'invalid_value',
      });
      return;
    }
    if (body['response_format'] !== 'pcm') {
      error(response, 400, {
        message: 'this test server speaks pcm only',
        type: 'invalid_request_error',
        param: 'response_format',
      });
      return;
    }
    if (this.jsonInsteadOfAudio) {
      error(response, 200, { message: 'The server had an error while processing your request.', type: 'server_error' });
      return;
    }
    this.#speak(input, response);
  }

  #speak(input: string, response: ServerResponse): void {
    const pcm = this.pcmFor(input);
    const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    const end = Math.min(bytes.length, this.stallAfterBytes ?? this.dieAfterBytes ?? bytes.length);
    const dies = this.dieAfterBytes !== undefined;
    response.on('close', () => {
      if (response.writableFinished) this.completed++;
      else this.aborted++;
    });
    const sendFrom = (at: number): void => {
      if (response.destroyed) return;
      if (at >= end) {
        if (dies) response.socket?.destroy();
        else if (end === bytes.length) response.end();
        return; // a stall: the connection stays open, silent
      }
      response.write(bytes.subarray(at, Math.min(end, at + this.chunkBytes)));
      if (this.chunkGapMs > 0) schedule(this.chunkGapMs, () => sendFrom(at + this.chunkBytes));
      else setImmediate(() => sendFrom(at + this.chunkBytes));
    };
    const begin = (): void => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.flushHeaders();
      sendFrom(0);
    };
    if (this.firstByteDelayMs > 0) schedule(this.firstByteDelayMs, begin);
    else begin();
  }
}

function error(
  response: ServerResponse,
  status: number,
  body: Partial<OpenAiError>,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify({ error: { param: null, code: null, ...body } }));
}
