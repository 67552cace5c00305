import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { VoicebridgeError } from '@voicebridge/protocol';
import { BearerAuth, type Realm } from './bearer-auth.ts';
import { errorBody, HttpError, httpStatusOf } from './http-errors.ts';

/** How long close() waits for requests in flight before it cuts their connections. */
const CLOSE_GRACE_MS = 2000;

export interface HttpServerOptions {
  host: string;
  port: number;
  adminToken?: string | undefined;
  readToken?: string | undefined;
  /** Unexpected failures (a route that threw something other than an HttpError). */
  onError?: (error: unknown, route: string) => void;
}

export interface RouteContext {
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * A route's answer: a JSON body (status 200 unless set), text with its content type, or bytes (a
 * buffer or a stream, e.g. a recording) with their content type. `headers` are added as given.
 */
export type RouteResult = { status?: number; headers?: Record<string, string> } & (
  | { json: unknown }
  | { text: string; contentType: string }
  | { bytes: Buffer | NodeJS.ReadableStream; contentType: string }
);

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  realm: Realm;
  handler: (context: RouteContext) => Promise<RouteResult> | RouteResult;
}

/**
 * The node's one HTTP server. Other parts add their routes (`add`) before `listen`; each route
 * names its realm, and the server checks the bearer token before the handler runs. Every error
 * leaves as the one error body (docs/errors.md), with a status that follows from its code.
 */
export class HttpServer {
  readonly #options: HttpServerOptions;
  readonly #app: FastifyInstance;
  readonly #auth: BearerAuth;
  #closing: Promise<void> | undefined;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#auth = new BearerAuth({ adminToken: options.adminToken, readToken: options.readToken });
    // Bodies are small JSON documents; the caps keep a client from making us hold much.
    this.#app = Fastify({ logger: false, bodyLimit: 1024 * 1024, connectionTimeout: 30_000, requestTimeout: 30_000 });
    // RFC 7396 merge patches are JSON under their own media type.
    this.#app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (error) {
        (error as { statusCode?: number }).statusCode = 400;
        done(error as Error, undefined);
      }
    });
    // Twilio-compatible clients (the REST hang-up bots make) send HTML forms.
    this.#app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    this.#app.setNotFoundHandler((request, reply) =>
      this.#send(reply, new HttpError('VB_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
    );
    this.#app.setErrorHandler((error, request, reply) => {
      // Fastify's own refusals (a malformed JSON body, a body over the limit) carry a 4xx statusCode.
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return reply.status(status).send(errorBody('VB_BAD_MESSAGE', (error as Error).message, 'body'));
      }
      this.#options.onError?.(error, `${request.method} ${request.routeOptions.url ?? request.url}`);
      return reply.status(500).send(errorBody('VB_BAD_MESSAGE', 'internal error'));
    });
  }

  add(route: Route): void {
    this.#app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        try {
          this.#auth.check(route.realm, request.headers.authorization, request.ip);
          const result = await route.handler({ request, reply });
          reply.status(result.status ?? 200);
          if (result.headers !== undefined) reply.headers(result.headers);
          if ('json' in result) return reply.send(result.json);
          if ('bytes' in result) return reply.type(result.contentType).send(result.bytes);
          return reply.type(result.contentType).send(result.text);
        } catch (error) {
          if (error instanceof VoicebridgeError) return this.#send(reply, error);
          throw error;
        }
      },
    });
  }

  async listen(): Promise<AddressInfo> {
    await this.#app.listen({ host: this.#options.host, port: this.#options.port, exclusive: true });
    return this.#app.server.address() as AddressInfo;
  }

  /**
   * Stops accepting, lets requests in flight finish and closes idle keep-alive connections; a connection still open
   * after CLOSE_GRACE_MS (an event stream whose watcher left without the socket closing, a stalled download) is cut,
   * so a shutdown is never held by a peer.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const cut = setTimeout(() => this.#app.server.closeAllConnections(), CLOSE_GRACE_MS);
      try {
        await this.#app.close();
      } finally {
        clearTimeout(cut);
      }
    })();
    return this.#closing;
  }

  #send(reply: FastifyReply, error: VoicebridgeError): FastifyReply {
    const field = error instanceof HttpError ? error.field : undefined;
    const status = httpStatusOf(error.code);
    if (status === 401) reply.header('WWW-Authenticate', 'Bearer realm="voicebridge"');
    return reply.status(status).send(errorBody(error.code, error.message, field));
  }
}
