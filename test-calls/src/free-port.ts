import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * Ports are picked below Linux's ephemeral range (32768-60999 by default): a client socket anywhere
 * on the machine (SIPp, another test's bridge, a Redis client) is given an ephemeral port by the
 * kernel at any moment, and one landing inside a bridge's RTP range would look like a port the bridge
 * failed to release. Signaling and control ports come from 20000-32767, RTP blocks from 10000-19999.
 */
const PORT_MIN = 20000;
const PORT_MAX = 32766;
const RTP_MIN = 10000;
const RTP_MAX = 19999;

/**
 * A UDP port (and, with `pair`, the port above it) free right now on 127.0.0.1, plus the same TCP
 * port when `tcp` is set. Other work on this machine may hold loopback ports: never use fixed ones.
 */
export async function freePort(options: { pair?: boolean; tcp?: boolean; even?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN));
    const candidate = options.even ? port - (port % 2) : port;
    const ports = options.pair ? [candidate, candidate + 1] : [candidate];
    if (
      (await Promise.all(ports.map((p) => udpFree(p)))).every(Boolean) &&
      (!options.tcp || (await tcpFree(candidate)))
    ) {
      return candidate;
    }
  }
  throw new Error('no free port found in 50 attempts');
}

/** A block of `count` consecutive free UDP ports starting at an even port. */
export async function freePortRange(count: number): Promise<{ min: number; max: number }> {
  const start = await freeBlock(count, RTP_MIN, RTP_MAX, 2, udpFree, 'UDP');
  return { min: start, max: start + count - 1 };
}

/** `count` consecutive TCP ports free right now on 127.0.0.1 (a bridge's media control ports), the first returned. */
export function freeTcpPortBlock(count: number): Promise<number> {
  return freeBlock(count, PORT_MIN, PORT_MAX, 1, tcpFree, 'TCP');
}

/** The first of `count` consecutive ports in lowest..highest, the first a multiple of `align` from `lowest`, each free by `isFree`. */
async function freeBlock(
  count: number,
  lowest: number,
  highest: number,
  align: number,
  isFree: (port: number) => Promise<boolean>,
  kind: string,
): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = lowest + align * Math.floor(Math.random() * ((highest - lowest - count) / align));
    const ports = Array.from({ length: count }, (_, i) => start + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return start;
  }
  throw new Error(`no free block of ${count} ${kind} ports found`);
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
