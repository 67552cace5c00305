import { createSocket, type Socket } from 'node:dgram';
import { literalLookup } from './literal-lookup.ts';

export interface PortPoolOptions {
  bindAddress: string;
  /** First and last port of the range; RTP takes the even port of each pair, RTCP the odd one. */
  minPort: number;
  maxPort: number;
  /** A released pair is not handed out again for this long, so late packets of the old call go nowhere. */
  quarantineMs: number;
  receiveBufferBytes?: number;
  now?: () => number;
}

export interface RtpPortPair {
  readonly port: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
}

/**
 * Owns the RTP/RTCP port range: binds both sockets of a pair on allocation, closes them on release,
 * and skips ports other programs hold (the machine is shared).
 */
export class PortPool {
  readonly #options: PortPoolOptions;
  readonly #now: () => number;
  readonly #allocated = new Map<number, RtpPortPair>();
  readonly #quarantinedUntil = new Map<number, number>();
  #cursor: number;
  #closed = false;

  constructor(options: PortPoolOptions) {
    const first = options.minPort + (options.minPort % 2);
    if (first + 1 > options.maxPort)
      throw new RangeError(`RTP port range ${options.minPort}-${options.maxPort} holds no even/odd pair`);
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#cursor = first;
  }

  get capacity(): number {
    const first = this.#options.minPort + (this.#options.minPort % 2);
    return Math.floor((this.#options.maxPort - first + 1) / 2);
  }

  get allocatedCount(): number {
    return this.#allocated.size;
  }

  quarantinedCount(): number {
    const now = this.#now();
    let n = 0;
    for (const until of this.#quarantinedUntil.values()) if (until > now) n++;
    return n;
  }

  async allocate(): Promise<RtpPortPair | undefined> {
    if (this.#closed) return undefined;
    const first = this.#options.minPort + (this.#options.minPort % 2);
    for (let tries = 0; tries < this.capacity; tries++) {
      const port = this.#cursor;
      this.#cursor = port + 2 + 1 > this.#options.maxPort ? first : port + 2;
      if (this.#allocated.has(port)) continue;
      const until = this.#quarantinedUntil.get(port);
      if (until !== undefined) {
        if (until > this.#now()) continue;
        this.#quarantinedUntil.delete(port);
      }
      const pair = await this.#bindPair(port);
      if (!pair) continue;
      if (this.#closed) {
        pair.rtp.close();
        pair.rtcp.close();
        return undefined;
      }
      this.#allocated.set(port, pair);
      return pair;
    }
    return undefined;
  }

  release(port: number): void {
    const pair = this.#allocated.get(port);
    if (!pair) return;
    this.#allocated.delete(port);
    pair.rtp.close();
    pair.rtcp.close();
    this.#quarantinedUntil.set(port, this.#now() + this.#options.quarantineMs);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const port of [...this.#allocated.keys()]) this.release(port);
  }

  async #bindPair(port: number): Promise<RtpPortPair | undefined> {
    const rtp = await this.#bind(port);
    if (!rtp) return undefined;
    const rtcp = await this.#bind(port + 1);
    if (!rtcp) {
      rtp.close();
      return undefined;
    }
    return { port, rtp, rtcp };
  }

  #bind(port: number): Promise<Socket | undefined> {
    const family = this.#options.bindAddress.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket({
      type: family,
      recvBufferSize: this.#options.receiveBufferBytes,
      lookup: literalLookup(),
    });
    return new Promise((resolve) => {
      const onError = (): void => {
        socket.close();
        resolve(undefined);
      };
      socket.once('error', onError);
      socket.bind({ port, address: this.#options.bindAddress, exclusive: true }, () => {
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }
}
