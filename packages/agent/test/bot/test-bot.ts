import type { IncomingHttpHeaders } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { freePort } from '../../../../test/support/free-port.ts';
import { withTimeout } from '../../../../test/support/wait-for.ts';

/** One socket the bridge opened to a test bot: what the upgrade carried and every message, parsed. */
export interface BotConnection {
  readonly socket: WebSocket;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly messages: Array<Record<string, unknown>>;
  /** Messages that were not JSON text (the bridge must never send one). */
  readonly malformed: number;
  closed?: { code: number; reason: string };
  send(message: unknown): void;
}

export type BotBehaviour = (connection: BotConnection) => void;

/**
 * A real WebSocket server on loopback playing a bot of the kind a test needs (echo, Pipecat-like,
 * flooding, garbage, closing, signature-checking): `behaviour` runs on each connection and sees each
 * message after it is recorded. Written from Twilio's Media Streams message reference
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages), the bot's side.
 */
export class TestBot {
  readonly connections: BotConnection[] = [];
  readonly #server: WebSocketServer;
  readonly #waiters = new Set<() => void>();
  readonly port: number;
  /** Runs on each message, after it was recorded. */
  onMessage: (connection: BotConnection, message: Record<string, unknown>) => void = () => undefined;

  private constructor(server: WebSocketServer, port: number, behaviour: BotBehaviour) {
    this.#server = server;
    this.port = port;
    server.on('connection', (socket, request) => {
      let malformed = 0;
      const connection: BotConnection = {
        socket,
        url: request.url ?? '',
        headers: request.headers,
        messages: [],
        get malformed() {
          return malformed;
        },
        send: (message) => {
          if (socket.readyState === socket.OPEN)
            socket.send(typeof message === 'string' ? message : JSON.stringify(message));
        },
      };
      this.connections.push(connection);
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        let parsed: unknown;
        try {
          parsed = isBinary ? undefined : JSON.parse(data.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        if (typeof parsed !== 'object' || parsed === null) malformed++;
        else {
          connection.messages.push(parsed as Record<string, unknown>);
          this.onMessage(connection, parsed as Record<string, unknown>);
        }
        this.poke();
      });
      socket.on('close', (code, reason) => {
        connection.closed = { code, reason: reason.toString('utf8') };
        this.poke();
      });
      socket.on('error', () => undefined);
      behaviour(connection);
      this.poke();
    });
  }

  static async start(
    behaviour: BotBehaviour = () => undefined,
    options: { verifyClient?: (headers: IncomingHttpHeaders, url: string) => boolean } = {},
  ): Promise<TestBot> {
    const port = await freePort('tcp');
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port,
      verifyClient: options.verifyClient
        ? (info: { req: { headers: IncomingHttpHeaders; url?: string } }) =>
            options.verifyClient?.(info.req.headers, info.req.url ?? '') ?? true
        : undefined,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    return new TestBot(server, port, behaviour);
  }

  url(path = '/stream'): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** Every message of connection `n` (0: the first) with `event`. */
  events(event: string, n = 0): Array<Record<string, unknown>> {
    return (this.connections[n]?.messages ?? []).filter((m) => m['event'] === event);
  }

  waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    let check = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      check = () => {
        if (predicate()) resolve();
      };
      this.#waiters.add(check);
    });
    return withTimeout(held, what, timeoutMs).finally(() => this.#waiters.delete(check));
  }

  poke(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  async close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A bot that plays the caller's audio straight back, as Twilio's echo samples do. */
export const echoBot: BotBehaviour = () => undefined;

/** `onMessage` for an echo bot: each caller `media` goes back as the bot's own `media`. */
export function echoMedia(connection: BotConnection, message: Record<string, unknown>): void {
  if (message['event'] !== 'media') return;
  const media = message['media'] as { payload: string };
  connection.send({ event: 'media', streamSid: message['streamSid'], media: { payload: media.payload } });
}
