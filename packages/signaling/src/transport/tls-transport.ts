import { isIP } from 'node:net';
import { connect, createServer, type ConnectionOptions, type Server, type TLSSocket } from 'node:tls';
import { cidrContains } from '@voicebridge/protocol';
import type { Endpoint } from '@voicebridge/sip';
import type { StreamTransportOptions } from './stream-connection.ts';
import { StreamSipTransport } from './stream-transport.ts';

export interface TlsSipTransportOptions extends StreamTransportOptions {
  /** PEM certificate chain and private key we present. */
  cert: Buffer;
  key: Buffer;
  /** PEM CAs: checks client certificates (with `verifyClient`) and the servers we connect to. */
  ca?: Buffer;
  /** Require a client certificate signed by `ca`; without one the handshake fails. */
  verifyClient?: boolean;
  /** A TLS handshake must finish within this long. */
  handshakeTimeoutMs?: number;
}

const MIN_VERSION = 'TLSv1.2';

/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630): TLS 1.2 or later with the operator's certificate, framed
 * exactly like TCP (the same connection class: strict Content-Length, buffer, time and CRLF keep-alive
 * rules). Replies and in-dialog requests go back on the peer's live connection; a new outbound
 * connection verifies the server's certificate (against `ca`, else the system roots).
 */
export class TlsSipTransport extends StreamSipTransport {
  readonly #ca: Buffer | undefined;

  constructor(options: TlsSipTransportOptions) {
    super(options, 'tls', (onSocket) => createTlsServer(options, onSocket));
    this.#ca = options.ca;
  }

  protected dial(to: Endpoint): TLSSocket {
    const options: ConnectionOptions = { host: to.address, port: to.port, ca: this.#ca, minVersion: MIN_VERSION };
    // SNI carries host names only (RFC 6066 §3); an IP literal is checked against the certificate's IP SANs.
    if (isIP(to.address) === 0) options.servername = to.address;
    return connect(options);
  }
}

function createTlsServer(options: TlsSipTransportOptions, onSocket: (socket: TLSSocket) => void): Server {
  const server = createServer(
    {
      cert: options.cert,
      key: options.key,
      ca: options.ca,
      minVersion: MIN_VERSION,
      requestCert: options.verifyClient === true,
      rejectUnauthorized: options.verifyClient === true,
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
    },
    onSocket,
  );
  server.maxConnections = options.maxConnections ?? 1000;
  // Refused before any handshake work: a source outside the allowed CIDRs costs one accept.
  server.on('connection', (socket: { remoteAddress?: string; destroy(): void }) => {
    const address = socket.remoteAddress ?? '';
    if (!cidrContains(options.allowed, address) || options.acceptsConnection?.(address) === false) socket.destroy();
  });
  server.on('tlsClientError', (error, socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    options.log.warn({ reason: error.message }, `SIP TLS handshake failed: from ${source}`);
  });
  return server;
}
