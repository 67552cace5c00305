import { connect, createServer, type Socket } from 'node:net';
import type { Endpoint } from '@voicebridge/sip';
import type { StreamTransportOptions } from './stream-connection.ts';
import { StreamSipTransport } from './stream-transport.ts';

export type TcpSipTransportOptions = StreamTransportOptions;

/**
 * SIP over TCP (RFC 3261 §18.3): messages framed strictly by Content-Length, responses and in-dialog
 * requests sent back on the peer's live connection (keyed by its address and port), a new outbound
 * connection only when none is up. Every connection is bounded in buffer, time and number.
 */
export class TcpSipTransport extends StreamSipTransport {
  constructor(options: TcpSipTransportOptions) {
    super(options, 'tcp', (onSocket) => createServer(onSocket));
  }

  protected dial(to: Endpoint): Socket {
    return connect({ host: to.address, port: to.port });
  }
}
