import type { AddressInfo, Server, Socket } from 'node:net';
import { cidrContains } from '@voicebridge/protocol';
import type { Endpoint } from '@voicebridge/sip';
import { StreamConnection, type StreamTransportOptions } from './stream-connection.ts';

/**
 * What SIP over TCP and over TLS share (RFC 3261 §18.3, §26.2): a listener that admits only allowed
 * sources, responses and in-dialog requests sent back on the peer's live connection (keyed by its
 * address and port), a new outbound connection only when none is up, and a cap on open connections.
 * A subclass supplies the listener and how to dial a peer.
 */
export abstract class StreamSipTransport {
  readonly #options: StreamTransportOptions;
  readonly #transport: 'tcp' | 'tls';
  readonly #server: Server;
  readonly #connections = new Map<string, StreamConnection>();
  #closed = false;

  protected constructor(
    options: StreamTransportOptions,
    transport: 'tcp' | 'tls',
    createServer: (onSocket: (socket: Socket) => void) => Server,
  ) {
    this.#options = options;
    this.#transport = transport;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#options.bindAddress, port: this.#options.port, exclusive: true }, () => {
        this.#server.off('error', reject);
        // Only once listening: a failed listen is the caller's error to report, not a second log line.
        this.#server.on('error', (error) =>
          this.#options.log.error({ err: error }, `SIP ${this.#name} listener error`),
        );
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  send(data: Buffer, to: Endpoint): void {
    if (this.#closed) return;
    let connection = this.#connections.get(`${to.address}|${to.port}`);
    if (!connection) {
      if (this.#atLimit()) {
        this.#options.log.warn({ to: to.address }, `SIP ${this.#name} connection limit reached: message not sent`);
        return;
      }
      connection = this.#track(this.dial(to), { ...to, transport: this.#transport });
    }
    connection.write(data);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of [...this.#connections.values()]) connection.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Opens a new connection to a peer that has none up. */
  protected abstract dial(to: Endpoint): Socket;

  get #name(): string {
    return this.#transport.toUpperCase();
  }

  #atLimit(): boolean {
    return this.#connections.size >= (this.#options.maxConnections ?? 1000);
  }

  #accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    if (
      this.#closed ||
      !cidrContains(this.#options.allowed, address) ||
      this.#options.acceptsConnection?.(address) === false
    ) {
      socket.destroy();
      return;
    }
    if (this.#atLimit()) {
      this.#options.log.warn(
        { source: address },
        `SIP ${this.#name} connection refused: limit reached from ${address}`,
      );
      socket.destroy();
      return;
    }
    this.#track(socket, { address, port: socket.remotePort ?? 0, transport: this.#transport });
  }

  #track(socket: Socket, peer: Endpoint): StreamConnection {
    const key = `${peer.address}|${peer.port}`;
    const connection = new StreamConnection(socket, peer, this.#options, () => {
      if (this.#connections.get(key) === connection) this.#connections.delete(key);
    });
    this.#connections.set(key, connection);
    return connection;
  }
}
