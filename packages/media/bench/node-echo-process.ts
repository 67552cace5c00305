/**
 * The side-by-side benchmark's floor for Node: a bare UDP echo in its own process, one socket per
 * call, every datagram sent straight back to where it came from. No parsing, no clock, no jitter
 * buffer: what the kernel and Node's dgram cost per packet, which any media path in Node pays too.
 * Driven over IPC (bench-child.ts) by side-by-side.bench.ts.
 */
import { createSocket, type Socket } from 'node:dgram';

export type EchoCommand = { type: 'open'; count: number } | { type: 'exit' };

const sockets: Socket[] = [];

function reply(message: unknown): void {
  process.send?.(message);
}

async function open(count: number): Promise<number[]> {
  for (let i = 0; i < count; i++) {
    const socket = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.on('message', (message, from) => socket.send(message, from.port, from.address));
    // A send to a caller already gone (ICMP unreachable) is not the benchmark's concern.
    socket.on('error', () => undefined);
    sockets.push(socket);
  }
  return sockets.map((s) => s.address().port);
}

process.on('message', (command: EchoCommand) => {
  if (command.type === 'open') {
    open(command.count).then(
      (ports) => reply({ type: 'opened', ports }),
      (error: unknown) => reply({ type: 'error', message: String(error) }),
    );
    return;
  }
  for (const socket of sockets) socket.close();
  reply({ type: 'bye' });
  process.exit(0);
});
