import http from 'node:http';
import https from 'node:https';
import { VoicebridgeError, type CheckedOutboundUrl } from '@voicebridge/protocol';
import type { OutboundPolicy } from './outbound-policy.ts';

export interface OutboundHttpOptions {
  policy: OutboundPolicy;
  /** From sending the request to the response headers. Default 10 000. */
  headersTimeoutMs?: number;
  /** The longest the connection may carry nothing, before or after the headers. Default 30 000. */
  idleTimeoutMs?: number;
}

/** What one kind of request may do: the number's `insecure` flag and how much reply it may read. */
export interface OutboundUse {
  insecure: boolean;
  /** A reply body longer than this fails (`VB_BAD_MESSAGE`) instead of being read on. */
  maxResponseBytes: number;
  /** Names the URL in refusals: `webhook tool lookup`, `llm.baseUrl`. Default `URL`. */
  what?: string;
  /** This use's own bounds, where they differ from the client's (a model's long silences). */
  headersTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

/** Statuses whose response has no body (Fetch standard "null body status"). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * HTTP(S) to user-supplied URLs under the outbound URL policy. Node's own `fetch` cannot be used
 * as it is: it follows redirects (a 302 to the metadata address), resolves names itself (the
 * address checked is not the one connected to) and reads replies of any length. Here every request
 * is checked statically, connects only to addresses the policy checked (`OutboundPolicy.lookup`),
 * never follows a redirect (a 3xx is the answer), times out without headers or without traffic,
 * and stops reading past `maxResponseBytes`. Replies are Fetch `Response`s, so clients written for
 * `fetch` take `fetcher()` unchanged.
 */
export class OutboundHttp {
  readonly #policy: OutboundPolicy;
  readonly #headersTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  /** Kept-alive connections, one pool per scheme and per loopback-only rule (never shared across). */
  readonly #agents = new Map<string, http.Agent>();
  #closed = false;

  constructor(options: OutboundHttpOptions) {
    this.#policy = options.policy;
    this.#headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  }

  get policy(): OutboundPolicy {
    return this.#policy;
  }

  /** `fetch` for a client written against it (string or URL input, string or bytes body). */
  fetcher(use: OutboundUse): typeof fetch {
    return async (input, init) => {
      if (typeof input !== 'string' && !(input instanceof URL))
        throw new TypeError('a Request object is not supported');
      const body = init?.body ?? undefined;
      if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
        throw new TypeError('only string and byte bodies are supported');
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
      return this.request(
        String(input),
        { method: init?.method, headers, body: body ?? undefined, signal: init?.signal ?? undefined },
        use,
      );
    };
  }

  /** Rejects with `OutboundRefusedError` before any connection when the policy refuses the URL. */
  async request(url: string, request: OutboundRequest, use: OutboundUse): Promise<Response> {
    if (this.#closed) throw new VoicebridgeError('VB_CLOSED', 'outbound HTTP client closed');
    const checked = this.#policy.check(url, 'http', use.insecure, use.what);
    const { signal } = request;
    if (signal?.aborted) throw signal.reason;
    const secure = checked.url.protocol === 'https:';
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    return await new Promise<Response>((resolve, reject) => {
      const req = (secure ? https : http).request(checked.url, {
        method: request.method ?? 'GET',
        headers: { ...request.headers, ...(body === undefined ? {} : { 'content-length': String(body.byteLength) }) },
        agent: this.#agent(checked),
        lookup: this.#policy.lookup(checked, use.what),
      });
      let settled = false;
      let reply: http.IncomingMessage | undefined;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const headersTimeoutMs = use.headersTimeoutMs ?? this.#headersTimeoutMs;
      const idleTimeoutMs = use.idleTimeoutMs ?? this.#idleTimeoutMs;
      const headersTimer = setTimeout(
        () => req.destroy(timeout(`no response headers within ${headersTimeoutMs} ms`)),
        headersTimeoutMs,
      );
      // Like fetch: the request, or the body being read, fails with the signal's reason.
      const onAbort = (): void => {
        const reason = signal?.reason as Error;
        reply?.destroy(reason);
        req.destroy(reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(headersTimer);
        signal?.removeEventListener('abort', onAbort);
      };
      req.once('close', () => {
        if (reply === undefined) settle();
        else reply.once('close', settle);
      });
      req.setTimeout(idleTimeoutMs, () =>
        req.destroy(timeout(`the connection carried nothing for ${idleTimeoutMs} ms`)),
      );
      req.on('error', fail);
      req.on('response', (res) => {
        reply = res;
        clearTimeout(headersTimer);
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > use.maxResponseBytes) {
          const error = tooLarge(use.maxResponseBytes);
          req.destroy(error);
          fail(error);
          return;
        }
        try {
          const status = res.statusCode ?? 0;
          const stream = NULL_BODY_STATUSES.has(status) ? null : bodyStream(res, use.maxResponseBytes);
          const response = new Response(stream, { status, statusText: res.statusMessage, headers: headersOf(res) });
          if (stream === null) res.resume();
          if (!settled) {
            settled = true;
            resolve(response);
          }
        } catch (error) {
          req.destroy();
          fail(error);
        }
      });
      req.end(body);
    });
  }

  /** Idempotent: closes every kept-alive connection; later requests are refused. */
  close(): void {
    this.#closed = true;
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  #agent(checked: CheckedOutboundUrl): http.Agent {
    const key = `${checked.url.protocol}${checked.loopbackOnly ? 'loopback' : 'any'}`;
    let agent = this.#agents.get(key);
    if (agent === undefined) {
      const options = { keepAlive: true, keepAliveMsecs: 1000, scheduling: 'lifo' as const };
      agent = checked.url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      this.#agents.set(key, agent);
    }
    return agent;
  }
}

/** The reply body as a web stream that errors (and drops the connection) past `maxBytes`. */
function bodyStream(res: http.IncomingMessage, maxBytes: number): ReadableStream<Uint8Array> {
  let received = 0;
  let finished = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const finish = (error?: unknown): void => {
        if (finished) return;
        finished = true;
        if (error === undefined) controller.close();
        else controller.error(error);
      };
      res.on('data', (chunk: Buffer) => {
        if (finished) return;
        received += chunk.byteLength;
        if (received > maxBytes) {
          const error = tooLarge(maxBytes);
          finish(error);
          res.destroy(error);
          return;
        }
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 1) <= 0) res.pause();
      });
      res.on('end', () => finish());
      res.on('error', (error) => finish(error));
      res.on('close', () => {
        if (!res.complete) finish(new VoicebridgeError('VB_ENGINE_FAILED', 'the connection closed mid-reply'));
      });
    },
    pull() {
      res.resume();
    },
    cancel() {
      finished = true;
      res.destroy();
    },
  });
}

function headersOf(res: http.IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

function timeout(message: string): VoicebridgeError {
  return new VoicebridgeError('VB_REQUEST_TIMEOUT', message);
}

function tooLarge(maxBytes: number): VoicebridgeError {
  return new VoicebridgeError('VB_BAD_MESSAGE', `the reply is longer than ${maxBytes} bytes`);
}
