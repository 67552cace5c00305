import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { cidrContains, type Cidr } from '@voicebridge/protocol';
import type { Endpoint } from '@voicebridge/sip';
import type { Logger } from 'pino';

export interface UdpSipTransportOptions {
  bindAddress: string;
  port: number;
  /** Sources outside these get no answer at all: no response, no record, no job. */
  allowed: readonly Cidr[];
  log: Logger;
  onMessage: (data: Buffer, source: Endpoint) => void;
  /** A socket carrying many calls needs a large receive buffer (DESIGN.md: 208 KB lost up to 28%). */
  receiveBufferBytes?: number;
}

/** SIP over UDP (RFC 3261 §18): one socket, datagram = message. */
export class UdpSipTransport {
  readonly #options: UdpSipTransportOptions;
  readonly #socket: Socket;
  #closed = false;
  #refusedSources = 0;

  constructor(options: UdpSipTransportOptions) {
    this.#options = options;
    this.#socket = createSocket({ type: options.bindAddress.includes(':') ? 'udp6' : 'udp4' });
    this.#socket.on('message', (data, rinfo) => {
      if (!cidrContains(this.#options.allowed, rinfo.address)) {
        this.#refusedSources++;
        this.#options.log.debug(
          { source: rinfo.address },
          `SIP from a source outside SIP_ALLOWED_CIDRS ignored from ${rinfo.address}`,
        );
        return;
      }
      try {
        this.#options.onMessage(data, { address: rinfo.address, port: rinfo.port, transport: 'udp' });
      } catch (error) {
        // Nothing a peer sends may take the process down.
        this.#options.log.error({ err: error, source: rinfo.address }, 'SIP message handling failed');
      }
    });
  }

  get refusedSources(): number {
    return this.#refusedSources;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind({ address: this.#options.bindAddress, port: this.#options.port, exclusive: true }, () => {
        this.#socket.off('error', reject);
        // Only once bound: a failed bind is the caller's error to report, not a second log line.
        this.#socket.on('error', (error) => this.#options.log.error({ err: error }, 'SIP UDP socket error'));
        const size = this.#options.receiveBufferBytes ?? 4 * 1024 * 1024;
        try {
          this.#socket.setRecvBufferSize(size);
        } catch (error) {
          this.#options.log.warn({ err: error, size }, 'could not set the SIP receive buffer size');
        }
        resolve(this.#socket.address());
      });
    });
  }

  send(data: Buffer, to: Endpoint): void {
    if (this.#closed) return;
    if (data.length > 1300) {
      // RFC 3261 §18.1.1 would move a request this large to a congestion-controlled transport.
      this.#options.log.warn({ bytes: data.length }, 'SIP message over 1300 bytes sent on UDP');
    }
    this.#socket.send(data, to.port, to.address);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
