import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * The one way tests pick loopback ports. Several bridges and other people's test runs share this
 * machine, so a port is never fixed: it is drawn at random and checked free (bound, then released)
 * on 127.0.0.1 for every protocol asked for.
 *
 * Ports come from below Linux's ephemeral range (32768-60999 by default). A client socket anywhere on
 * the machine (SIPp, another test's bridge, a Redis client) is given an ephemeral port by the kernel at
 * any moment: one landing in a port a test checked and released, or inside a bridge's RTP range, would
 * look like a port the bridge failed to release or take the bridge's own port. Binding port 0 and
 * closing (what the kernel hands out) picks exactly from that range, so it is not used here.
 *
 * Single ports (SIP, control, HTTP, Redis) come from 20000-32766, RTP ranges from 10000-19999, so a
 * range one test is about to give a bridge is never a single port another test picks.
 */
const PORT_MIN = 20000;
const PORT_MAX = 32766;
const RTP_MIN = 10000;
const RTP_MAX = 19999;
const ATTEMPTS = 50;

export type PortProtocol = 'udp' | 'tcp';

/** A port free right now on 127.0.0.1 for each of `protocols` (UDP when none is named). */
export async function freePort(...protocols: PortProtocol[]): Promise<number> {
  const checks = protocols.length > 0 ? protocols : (['udp'] as const);
  return freeBlock(1, PORT_MIN, PORT_MAX, 1, (port) => freeFor(port, checks), checks.join('+'));
}

/**
 * `count` consecutive UDP ports free right now, starting at an even port (RTP on the even port, RTCP
 * on the odd one above it), named as the media PortPool's options name them.
 */
export async function freeRtpPortRange(count: number): Promise<{ minPort: number; maxPort: number }> {
  const minPort = await freeBlock(count, RTP_MIN, RTP_MAX, 2, (port) => freeFor(port, ['udp']), 'RTP');
  return { minPort, maxPort: minPort + count - 1 };
}

/** `count` consecutive ports free right now for each of `protocols` (a bridge's media control ports); the first returned. */
export function freePortBlock(count: number, ...protocols: PortProtocol[]): Promise<number> {
  const checks = protocols.length > 0 ? protocols : (['udp'] as const);
  return freeBlock(count, PORT_MIN, PORT_MAX, 1, (port) => freeFor(port, checks), checks.join('+'));
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
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const start = lowest + align * Math.floor(Math.random() * ((highest - lowest - count + 1) / align));
    const ports = Array.from({ length: count }, (_, i) => start + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return start;
  }
  throw new Error(`no block of ${count} free ${kind} port(s) in ${lowest}-${highest} after ${ATTEMPTS} attempts`);
}

/** Whether `port` can be bound on 127.0.0.1 right now for each of `protocols`. */
export async function portIsFree(port: number, ...protocols: PortProtocol[]): Promise<boolean> {
  return freeFor(port, protocols.length > 0 ? protocols : ['udp']);
}

async function freeFor(port: number, protocols: readonly PortProtocol[]): Promise<boolean> {
  for (const protocol of protocols) {
    if (!(await (protocol === 'udp' ? udpFree(port) : tcpFree(port)))) return false;
  }
  return true;
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: '127.0.0.1', exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
