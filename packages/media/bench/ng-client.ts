import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { bdecode, bencode, type BencodeValue } from './bencode.ts';

export type NgDict = { [key: string]: BencodeValue };

interface Pending {
  packet: Buffer;
  resolve: (reply: NgDict) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  attempts: number;
}

/** Resends of an unanswered request (UDP may drop it; rtpengine answers a repeated cookie from its cache). */
const ATTEMPTS = 5;
const RESEND_MS = 400;

/**
 * A client of rtpengine's ng control protocol over UDP (docs/ng_control_protocol.md in rtpengine):
 * each datagram is a cookie, one space and a bencoded dictionary; the reply carries the same cookie.
 * A request is resent with its cookie until answered (bounded), and a reply whose `result` is
 * `error` rejects with rtpengine's `error-reason`. Datagrams that are not a reply to a pending
 * request (malformed, unknown cookie, late duplicates) are counted and dropped.
 */
export class NgClient {
  /** Datagrams ignored: not a cookie and a dictionary, or no request waiting for them. */
  ignored = 0;
  readonly #socket: Socket;
  readonly #port: number;
  readonly #prefix = randomBytes(4).toString('hex');
  readonly #pending = new Map<string, Pending>();
  #next = 0;
  #closed = false;

  private constructor(socket: Socket, port: number) {
    this.#socket = socket;
    this.#port = port;
    socket.on('message', (message) => this.#onReply(message));
    // A send error (e.g. ICMP port unreachable before the daemon listens) ends in a resend or a timeout.
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<NgClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new NgClient(socket, port);
  }

  /** Sends `{command, ...fields}` and resolves with the reply dictionary (result ok, pong or load limit). */
  request(command: string, fields: NgDict = {}): Promise<NgDict> {
    if (this.#closed) return Promise.reject(new Error('ng client closed'));
    const cookie = `${this.#prefix}_${++this.#next}`;
    const packet = Buffer.concat([Buffer.from(`${cookie} `, 'ascii'), bencode({ ...fields, command })]);
    return new Promise<NgDict>((resolve, reject) => {
      const pending: Pending = {
        packet,
        resolve,
        reject,
        attempts: 0,
        timer: setTimeout(() => undefined, 0),
      };
      this.#pending.set(cookie, pending);
      this.#transmit(cookie, pending, command);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [cookie, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`ng client closed before the reply to ${cookie}`));
    }
    this.#pending.clear();
    this.#socket.close();
  }

  #transmit(cookie: string, pending: Pending, command: string): void {
    pending.attempts++;
    this.#socket.send(pending.packet, this.#port, '127.0.0.1');
    pending.timer = setTimeout(() => {
      if (pending.attempts < ATTEMPTS) return this.#transmit(cookie, pending, command);
      this.#pending.delete(cookie);
      pending.reject(new Error(`rtpengine did not answer "${command}" in ${(ATTEMPTS * RESEND_MS) / 1000} s`));
    }, RESEND_MS);
  }

  #onReply(message: Buffer): void {
    const space = message.indexOf(0x20);
    const pending = space > 0 ? this.#pending.get(message.subarray(0, space).toString('latin1')) : undefined;
    if (!pending) {
      this.ignored++;
      return;
    }
    let reply: BencodeValue;
    try {
      reply = bdecode(message.subarray(space + 1));
    } catch {
      // Left pending: a resend may still bring a good copy.
      this.ignored++;
      return;
    }
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply) || typeof reply.result !== 'string') {
      this.ignored++;
      return;
    }
    this.#pending.delete(message.subarray(0, space).toString('latin1'));
    clearTimeout(pending.timer);
    if (reply.result === 'error') {
      const reason = typeof reply['error-reason'] === 'string' ? reply['error-reason'] : 'no reason given';
      pending.reject(new Error(`rtpengine: ${reason}`));
    } else {
      pending.resolve(reply);
    }
  }
}
