import type { Socket } from 'node:net';
import type { Cidr } from '@voicebridge/protocol';
import {
  createResponse,
  frameStreamMessage,
  parseMessage,
  serializeMessage,
  type Endpoint,
  type ParseLimits,
} from '@voicebridge/sip';
import type { Logger } from 'pino';

export interface StreamTransportOptions {
  bindAddress: string;
  port: number;
  allowed: readonly Cidr[];
  /** Asked per new connection after `allowed` (bans, sources outside every trunk); default: accept. */
  acceptsConnection?: (address: string) => boolean;
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
  /** The parser's limits, which also bound how long a frame may get (header and body sizes). */
  limits?: Partial<ParseLimits>;
}

/**
 * One SIP stream connection, TCP or TLS alike (RFC 3261 §18.3): messages framed strictly by
 * Content-Length, CRLF keep-alives answered, bounded in buffer and in time per message.
 */
export class StreamConnection {
  readonly #socket: Socket;
  readonly #peer: Endpoint;
  readonly #options: StreamTransportOptions;
  #buffer: Buffer = Buffer.alloc(0);
  #messageTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(socket: Socket, peer: Endpoint, options: StreamTransportOptions, onClose: () => void) {
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
    this.#release();
    this.#socket.destroy();
  }

  /** Sends `last` (if any) and closes once it is flushed; a peer that never reads is cut after 2 s. */
  #closeAfter(last: Buffer | undefined): void {
    if (this.#closed) return;
    this.#release();
    const force = setTimeout(() => this.#socket.destroy(), 2000);
    force.unref();
    this.#socket.once('close', () => clearTimeout(force));
    if (last) this.#socket.end(last);
    else this.#socket.end();
  }

  #release(): void {
    this.#closed = true;
    clearTimeout(this.#messageTimer);
    this.#messageTimer = undefined;
    this.#buffer = Buffer.alloc(0);
  }

  /**
   * RFC 3261 §18.3: a stream without a usable Content-Length (missing, malformed, conflicting, or a
   * message over the limits) cannot be framed any more. A request among it still gets its error
   * status (RFC 4475 ncl, mcl01: "respond with an error") before the connection closes.
   */
  #refuseUnframeable(status: number, reason: string): void {
    const headEnd = this.#buffer.indexOf('\r\n\r\n');
    const head = this.#buffer.subarray(0, headEnd === -1 ? this.#buffer.length : headEnd + 4);
    const parsed = parseMessage(head, this.#options.limits);
    const request = parsed.ok ? (parsed.message.type === 'request' ? parsed.message : undefined) : parsed.request;
    const answer =
      request && request.method !== 'ACK' ? serializeMessage(createResponse(request, status, reason)) : undefined;
    this.#options.log.warn(
      { reason, status, source: this.#peer.address },
      `SIP TCP stream unframeable, closed: from ${this.#peer.address}`,
    );
    this.#closeAfter(answer);
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (let i = 0; i < 1000 && this.#buffer.length > 0 && !this.#closed; i++) {
      const frame = frameStreamMessage(this.#buffer, this.#options.limits);
      if (frame.state === 'incomplete') break;
      if (frame.state === 'invalid') {
        this.#refuseUnframeable(frame.status, frame.reason);
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
      this.#options.log.warn(
        { source: this.#peer.address },
        `SIP TCP buffer limit exceeded, closed: from ${this.#peer.address}`,
      );
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
        this.#options.log.warn(
          { source: this.#peer.address },
          `SIP TCP message not completed in time, closed: from ${this.#peer.address}`,
        );
        this.close();
      }, this.#options.messageTimeoutMs ?? 10_000);
    }
  }
}
