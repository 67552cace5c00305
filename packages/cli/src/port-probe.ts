import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { FixedPort } from '@voicebridge/protocol';

/**
 * Which of the ports are taken now, found by binding each for a moment. `voicebridge start` asks before
 * it starts any process, so a second bridge on the same ports exits at once and touches nothing (no
 * Redis sweep, no media worker). The services still report a port lost in the race after this check.
 */
export async function busyPorts(ports: readonly FixedPort[]): Promise<FixedPort[]> {
  const busy: FixedPort[] = [];
  // One at a time: two probes of the same port at once would each see the other's bind.
  for (const port of ports) if (await isBusy(port)) busy.push(port);
  return busy;
}

/** Pairs of the bridge's own fixed ports that would collide (same protocol and port, overlapping addresses). */
export function clashingPorts(ports: readonly FixedPort[]): [FixedPort, FixedPort][] {
  const wildcard = (address: string): boolean => address === '0.0.0.0' || address === '::';
  const clashes: [FixedPort, FixedPort][] = [];
  ports.forEach((a, i) => {
    for (const b of ports.slice(i + 1)) {
      const sameAddress = a.address === b.address || wildcard(a.address) || wildcard(b.address);
      if (a.protocol === b.protocol && a.port === b.port && sameAddress) clashes.push([a, b]);
    }
  });
  return clashes;
}

function isBusy(port: FixedPort): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException): void => resolve(error.code === 'EADDRINUSE');
    if (port.protocol === 'udp') {
      const socket = createSocket(port.address.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', (error) => {
        socket.close();
        onError(error);
      });
      socket.bind({ address: port.address, port: port.port, exclusive: true }, () =>
        socket.close(() => resolve(false)),
      );
    } else {
      const server = createServer();
      server.once('error', onError);
      server.listen({ host: port.address, port: port.port, exclusive: true }, () => server.close(() => resolve(false)));
    }
  });
}
