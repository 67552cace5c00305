import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { MediaControlClient } from '../../src/index.ts';
import { holdsFor } from '../../../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });

describe('MediaControlClient heartbeats', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  let answer = true;

  beforeEach(async () => {
    answer = true;
    // A media control peer that answers heartbeats only while `answer` is true (a hung worker keeps
    // its socket open but says nothing).
    server = createServer((socket) => {
      sockets.push(socket);
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter((l) => l.trim() !== '')) {
          const { id } = JSON.parse(line) as { id: number };
          if (answer) socket.write(`${JSON.stringify({ id, ok: true, result: { calls: 0 } })}\n`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('drops a media worker that stops answering heartbeats and reports it lost', async () => {
    let lostAtMs = 0;
    const lost = new Promise<void>((resolve) => {
      const client = new MediaControlClient({
        host: '127.0.0.1',
        port,
        log,
        onEvent: () => undefined,
        onLost: () => {
          lostAtMs = Date.now();
          client.close();
          resolve();
        },
        requestTimeoutMs: 100,
        heartbeatIntervalMs: 50,
        heartbeatMisses: 3,
      });
    });
    // Six heartbeat intervals, every heartbeat answered: the worker is kept all along.
    await holdsFor('the answering worker kept', 300, () => lostAtMs === 0);
    const hungAtMs = Date.now();
    answer = false;
    await lost;
    expect(lostAtMs - hungAtMs).to.be.within(100, 5000);
  });
});
