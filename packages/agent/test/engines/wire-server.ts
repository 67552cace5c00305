import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One accepted provider socket, as the server saw it. */
export interface WireConnection {
  socket: WebSocket;
  url: URL;
  headers: IncomingMessage['headers'];
  /** Every JSON text frame the client sent, parsed (a frame that is not JSON is kept as its text). */
  texts: unknown[];
  /** Bytes of binary frames the client sent. */
  binaryBytes: number;
  /** Size of each binary frame the client sent, in order. */
  binarySizes: number[];
  /** When the upgrade was accepted (Date.now()). */
  acceptedAtMs: number;
  /** When each of `texts` arrived (Date.now()), index for index. */
  textAtMs: number[];
  closed: Promise<{ code: number }>;
}

/**
 * The HTTP half every local provider server shares: a real `ws` server on 127.0.0.1 (port chosen
 * by the system), refusing upgrades with scripted statuses first (401, 429 with Retry-After, 503),
 * recording each accepted connection. The wire itself is the subclass's `accept`.
 */
export abstract class WireServer {
  readonly connections: WireConnection[] = [];
  /** Upgrade attempts, refused ones included. */
  attempts = 0;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  #refusals: { status: number; retryAfterS?: number }[] = [];
  readonly #rawSockets = new Set<Socket>();
  #closing: Promise<void> | undefined;

  protected constructor() {
    this.#server = createServer((_request, response) => response.writeHead(404).end());
    this.#server.on('connection', (socket) => {
      this.#rawSockets.add(socket);
      socket.once('close', () => this.#rawSockets.delete(socket));
    });
    this.#server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      this.attempts++;
      const refusal = this.#refusals.shift();
      if (refusal !== undefined) {
        const retryAfter = refusal.retryAfterS === undefined ? '' : `Retry-After: ${refusal.retryAfterS}\r\n`;
        socket.end(`HTTP/1.1 ${refusal.status} Refused\r\n${retryAfter}Content-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accepted(ws, request));
    });
  }

  protected async listen(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  get origin(): string {
    return `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The next upgrades are refused with these statuses, in order. */
  refuse(...refusals: { status: number; retryAfterS?: number }[]): void {
    this.#refusals.push(...refusals);
  }

  /** Drops every open socket at the TCP level (a provider that dies mid-stream). */
  kill(): void {
    for (const connection of this.connections) connection.socket.terminate();
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      this.kill();
      for (const socket of this.#rawSockets) socket.destroy();
      this.#wss.close();
      this.#server.close();
      await once(this.#server, 'close').catch(() => {});
    })());
  }

  protected abstract accept(connection: WireConnection): void;

  #accepted(socket: WebSocket, request: IncomingMessage): void {
    const connection: WireConnection = {
      socket,
      url: new URL(request.url ?? '/', 'ws://127.0.0.1'),
      headers: request.headers,
      texts: [],
      binaryBytes: 0,
      binarySizes: [],
      acceptedAtMs: Date.now(),
      textAtMs: [],
      closed: new Promise((resolve) => socket.once('close', (code) => resolve({ code }))),
    };
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        connection.binaryBytes += data.length;
        connection.binarySizes.push(data.length);
        return;
      }
      const text = data.toString('utf8');
      connection.textAtMs.push(Date.now());
      try {
        connection.texts.push(JSON.parse(text));
      } catch {
        connection.texts.push(text);
      }
    });
    this.connections.push(connection);
    this.accept(connection);
  }
}
