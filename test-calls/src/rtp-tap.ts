import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { parseRtp, pcmuDecode } from '@voicebridge/rtp';

/** One RTP packet seen on the wire by the tap. */
export interface TappedPacket {
  /** `caller`: the softphone to the bridge; `agent`: the bridge to the softphone. */
  from: 'caller' | 'agent';
  /** performance.now() when the tap received it. */
  atMs: number;
  /** The PCMU payload's level, dBFS (-Infinity for digital silence, or a payload type other than 0). */
  levelDb: number;
  /** The bridge's RTP port the packet crossed (the call's `localRtp` port): tells calls apart. */
  port: number;
  /** The RTP header's fields and a copy of the payload (undefined fields: not a parsable RTP packet). */
  sequenceNumber?: number;
  timestamp?: number;
  ssrc?: number;
  payloadType?: number;
  payload?: Uint8Array;
}

/**
 * A UDP relay in the RTP path, so a test sees both streams of a real softphone call packet by
 * packet, with the time each crossed the wire (a recording has no gaps where no RTP came, so it
 * cannot time anything). The bridge advertises `tapAddress` in its SDP (RTP_ADVERTISED_ADDRESS)
 * while its media binds `bridgeAddress`; the tap binds every port of the range on `tapAddress`
 * and forwards each packet to the same port on the other side. Loopback only.
 */
export class RtpTap {
  readonly packets: TappedPacket[] = [];
  readonly #sockets: Socket[] = [];
  #closed = false;

  private constructor() {}

  static async start(options: {
    tapAddress: string;
    bridgeAddress: string;
    ports: { min: number; max: number };
  }): Promise<RtpTap> {
    const tap = new RtpTap();
    try {
      for (let port = options.ports.min; port <= options.ports.max; port++)
        await tap.#bind(options.tapAddress, options.bridgeAddress, port);
    } catch (error) {
      tap.close();
      throw error;
    }
    return tap;
  }

  async #bind(tapAddress: string, bridgeAddress: string, port: number): Promise<void> {
    const socket = createSocket('udp4');
    this.#sockets.push(socket);
    let caller: RemoteInfo | undefined;
    socket.on('error', () => undefined); // a peer gone away: nothing to relay to
    socket.on('message', (message, from) => {
      const fromBridge = from.address === bridgeAddress && from.port === port;
      if (!fromBridge) caller = from;
      if (port % 2 === 0) this.packets.push(tapped(message, fromBridge ? 'agent' : 'caller', port));
      if (fromBridge) {
        if (caller) socket.send(message, caller.port, caller.address);
      } else socket.send(message, port, bridgeAddress);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, tapAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#sockets) socket.close();
  }
}

function tapped(message: Buffer, from: TappedPacket['from'], port: number): TappedPacket {
  const packet: TappedPacket = { from, atMs: performance.now(), levelDb: levelOf(message), port };
  const rtp = parseRtp(message);
  if (rtp === undefined) return packet;
  return {
    ...packet,
    sequenceNumber: rtp.sequenceNumber,
    timestamp: rtp.timestamp,
    ssrc: rtp.ssrc,
    payloadType: rtp.payloadType,
    payload: Uint8Array.from(message.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength)),
  };
}

/** The level of an RTP packet's PCMU payload (12-byte header, no CSRCs or extension expected). */
function levelOf(packet: Buffer): number {
  if (packet.length <= 12 || (packet[1]! & 0x7f) !== 0) return -Infinity;
  const payload = packet.subarray(12 + (packet[0]! & 0x0f) * 4);
  const pcm = new Int16Array(payload.length);
  pcmuDecode(payload, pcm);
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return sum === 0 ? -Infinity : 10 * Math.log10(sum / pcm.length / (32768 * 32768));
}
