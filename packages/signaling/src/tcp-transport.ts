import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { cidrContains, type Cidr } from '@voicebridge/protocol';
import { frameStreamMessage, type Endpoint } from '@voicebridge/sip';
import type { Logger } from 'pino';

export interface TcpSipTransportOptions {
  bindAddress: string;
  port: number;
  allowed: readonly Cidr[];
  log: Logger;
  onMessage: (data: Buffer, source: Endpoint) => void;
  /** Open connections, both directions; beyond it new ones are refused. */
  maxConnections?: number;
  /** A connection that carries nothing for this long is closed (in-dialog requests reopen one). */
  idleTimeoutMs?: number;
  /** A message must arrive whole within this long of its first byte (slow-loris senders are cut). */
  messageTimeoutMs?: number;
  /** Bytes one connection may buffer while a message is incomplete. */
  maxBufferBytes?: number;
}

/**
 * SIP over TCP (RFC 3261 §18.3): messages framed strictly by Content-Length, responses and in-dialog
 * requests sent back on the peer's live connection (keyed by its address and port), a new outbound
 * connection only when none is up. Every connection is bounded in buffer, time and number.
 */
export class TcpSipTransport {
  readonly #options: TcpSipTransportOptions;
  readonly #server: Server;
  readonly #connections = new Map<string, TcpConnection>();
  #closed = false;

  constructor(options: TcpSipTransportOptions) {
    this.#options = options;
    this.#server = createServer((socket) => this.#accept(socket));
    this.#server.on('error', (error) => options.log.error({ err: error }, 'SIP TCP listener error'));
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#options.bindAddress, port: this.#options.port, exclusive: true }, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  send(data: Buffer, to: Endpoint): void {
    if (this.#closed) return;
    const key = `${to.address}|${to.port}`;
    let connection = this.#connections.get(key);
    if (!connection) {
      if (this.#connections.size >= (this.#options.maxConnections ?? 1000)) {
        this.#options.log.warn({ to: to.address }, 'SIP TCP connection limit reached: message not sent');
        return;
      }
      connection = this.#track(connect({ host: to.address, port: to.port }), to);
    }
    connection.write(data);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of [...this.#connections.values()]) connection.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    if (this.#closed || !cidrContains(this.#options.allowed, address)) {
      socket.destroy();
      return;
    }
    if (this.#connections.size >= (this.#options.maxConnections ?? 1000)) {
      this.#options.log.warn({ source: address }, `SIP TCP connection refused: limit reached from ${address}`);
      socket.destroy();
      return;
    }
    this.#track(socket, { address, port: socket.remotePort ?? 0, transport: 'tcp' });
  }

  #track(socket: Socket, peer: Endpoint): TcpConnection {
    const key = `${peer.address}|${peer.port}`;
    const connection = new TcpConnection(socket, peer, this.#options, () => {
      if (this.#connections.get(key) === connection) this.#connections.delete(key);
    });
    this.#connections.set(key, connection);
    return connection;
  }
}

class TcpConnection {
  readonly #socket: Socket;
  readonly #peer: Endpoint;
  readonly #options: TcpSipTransportOptions;
  #buffer: Buffer = Buffer.alloc(0);
  #messageTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(socket: Socket, peer: Endpoint, options: TcpSipTransportOptions, onClose: () => void) {
    this.#socket = socket;
    this.#peer = peer;
    this.#options = options;
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs ?? 300_000, () => this.close());
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => options.log.debug({ err: error, peer: peer.address }, 'SIP TCP connection error'));
    socket.on('close', () => {
      this.close();
      onClose();
    });
  }

  write(data: Buffer): void {
    if (!this.#closed) this.#socket.write(data);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#messageTimer);
    this.#messageTimer = undefined;
    this.#buffer = Buffer.alloc(0);
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (let i = 0; i < 1000 && this.#buffer.length > 0 && !this.#closed; i++) {
      const frame = frameStreamMessage(this.#buffer);
      if (frame.state === 'incomplete') break;
      if (frame.state === 'invalid') {
        // RFC 3261 §18.3: without a usable Content-Length the stream cannot be framed: close it.
        this.#options.log.warn({ reason: frame.reason, source: this.#peer.address }, `SIP TCP stream unframeable, closed: from ${this.#peer.address}`);
        this.close();
        return;
      }
      const message = this.#buffer.subarray(0, frame.bytes);
      this.#buffer = this.#buffer.subarray(frame.bytes);
      if (frame.state === 'keepalive') {
        this.#socket.write('\r\n'); // RFC 5626 §4.4.1 pong
        continue;
      }
      try {
        this.#options.onMessage(Buffer.from(message), this.#peer);
      } catch (error) {
        this.#options.log.error({ err: error, source: this.#peer.address }, 'SIP message handling failed');
      }
    }
    if (this.#buffer.length > (this.#options.maxBufferBytes ?? 128 * 1024)) {
      this.#options.log.warn({ source: this.#peer.address }, `SIP TCP buffer limit exceeded, closed: from ${this.#peer.address}`);
      this.close();
      return;
    }
    if (this.#buffer.length === 0) {
      clearTimeout(this.#messageTimer);
      this.#messageTimer = undefined;
    } else if (!this.#messageTimer) {
      // Started by the first byte of a message, not reset by later ones: a peer that trickles a
      // byte at a time still has to finish within the limit.
      this.#messageTimer = setTimeout(() => {
        this.#options.log.warn({ source: this.#peer.address }, `SIP TCP message not completed in time, closed: from ${this.#peer.address}`);
        this.close();
      }, this.#options.messageTimeoutMs ?? 10_000);
    }
  }
}
