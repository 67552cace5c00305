import { EventEmitter } from 'node:events';
import type { RemoteInfo } from 'node:dgram';
import type { SrtpParams } from '@voicebridge/protocol';
import { SRTP_MASTER_KEY_BYTES, SrtpSession, isRtcp, type SrtpMasterKey } from '@voicebridge/rtp';

type SendCallback = (error: Error | null) => void;

/** What a media session needs of a UDP socket; a dgram Socket is one, and so is an SRTP wrapper. */
export interface DatagramPort {
  on(event: 'message', listener: (packet: Buffer, from: RemoteInfo) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  send(
    packet: Uint8Array,
    offset: number,
    length: number,
    port: number,
    address: string,
    callback?: SendCallback,
  ): void;
  send(packet: Uint8Array, port: number, address: string, callback?: SendCallback): void;
  removeAllListeners(event?: string): this;
}

export interface MediaPorts {
  readonly port: number;
  readonly rtp: DatagramPort;
  readonly rtcp: DatagramPort;
}

/**
 * RTP and RTCP sockets of one call with SDES-SRTP (RFC 3711, RFC 4568) in between: what the session
 * sends is protected on the way out, what arrives is authenticated, replay-checked and decrypted
 * before any listener sees it. Packets that fail are dropped and counted, never passed on, so the
 * media session, latching and RTCP statistics only ever see the caller's genuine packets.
 * The keys live only in this object's SrtpSession; nothing here logs them.
 */
export class SrtpPorts implements MediaPorts {
  readonly port: number;
  readonly rtp: SrtpSocket;
  readonly rtcp: SrtpSocket;

  constructor(ports: { port: number; rtp: DatagramPort; rtcp: DatagramPort }, params: SrtpParams) {
    this.port = ports.port;
    const session = new SrtpSession({
      suite: params.suite,
      local: masterKey(params.localKey),
      remote: masterKey(params.remoteKey),
    });
    this.rtp = new SrtpSocket(ports.rtp, 'rtp', session);
    this.rtcp = new SrtpSocket(ports.rtcp, 'rtcp', session);
  }

  /** Packets refused by authentication or replay protection, both sockets. */
  get dropped(): number {
    return this.rtp.dropped + this.rtcp.dropped;
  }
}

function masterKey(base64: string): SrtpMasterKey {
  const bytes = Buffer.from(base64, 'base64');
  return { key: bytes.subarray(0, SRTP_MASTER_KEY_BYTES), salt: bytes.subarray(SRTP_MASTER_KEY_BYTES) };
}

class SrtpSocket extends EventEmitter implements DatagramPort {
  readonly #socket: DatagramPort;
  readonly #kind: 'rtp' | 'rtcp';
  readonly #session: SrtpSession;
  dropped = 0;

  constructor(socket: DatagramPort, kind: 'rtp' | 'rtcp', session: SrtpSession) {
    super();
    this.#socket = socket;
    this.#kind = kind;
    this.#session = session;
    socket.on('message', (packet, from) => this.#onMessage(packet, from));
    socket.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  send(
    packet: Uint8Array,
    ...rest: [number, number, number, string, SendCallback?] | [number, string, SendCallback?]
  ): void {
    let plain = packet;
    let port: number;
    let address: string;
    let callback: SendCallback | undefined;
    if (typeof rest[1] === 'number') {
      const [offset, length, toPort, toAddress, done] = rest as [number, number, number, string, SendCallback?];
      plain = packet.subarray(offset, offset + length);
      [port, address, callback] = [toPort, toAddress, done];
    } else {
      [port, address, callback] = rest as [number, string, SendCallback?];
    }
    const out = this.#kind === 'rtp' ? this.#session.protectRtp(plain) : this.#session.protectRtcp(plain);
    if (out === undefined) {
      callback?.(new Error(`${this.#kind.toUpperCase()} packet could not be protected`));
      return;
    }
    this.#socket.send(out, port, address, callback);
  }

  #onMessage(packet: Buffer, from: RemoteInfo): void {
    // On the RTP port an RTCP packet (RFC 5761 mux) is not SRTP: ignored like plain RTCP there.
    if (this.#kind === 'rtp' && isRtcp(packet)) return;
    const plain = this.#kind === 'rtp' ? this.#session.unprotectRtp(packet) : this.#session.unprotectRtcp(packet);
    if (plain === undefined) {
      this.dropped++;
      return;
    }
    this.emit('message', plain, from);
  }
}
