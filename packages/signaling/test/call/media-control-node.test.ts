import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { MediaControlClient } from '../../src/index.ts';
import { holdsFor, waitFor } from '../../../../test/support/wait-for.ts';

/**
 * A media worker opens each control connection with `hello` naming its node (NODE_ID): signaling
 * uses only its own node's workers. One pointed at another node's (MEDIA_CONTROL_ADDRESSES, a
 * shifted MEDIA_CONTROL_PORT) would run this node's calls through it.
 */
describe('MediaControlClient: the worker says which node it belongs to', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  let connections = 0;
  let workerNode = 'node-b';
  const clients: MediaControlClient[] = [];

  beforeEach(async () => {
    connections = 0;
    // A media control peer that says hello and answers every request.
    server = createServer((socket) => {
      connections++;
      sockets.push(socket);
      socket.setEncoding('utf8');
      socket.write(`${JSON.stringify({ event: 'hello', nodeId: workerNode })}\n`);
      socket.on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter((l) => l.trim() !== '')) {
          const { id } = JSON.parse(line) as { id: number };
          socket.write(`${JSON.stringify({ id, ok: true, result: { calls: 0 } })}\n`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  function client(nodeId: string, lines: string[]): MediaControlClient {
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const made = new MediaControlClient({
      host: '127.0.0.1',
      port,
      log,
      onEvent: () => undefined,
      nodeId,
      reconnectDelayMs: 20,
      requestTimeoutMs: 1000,
    });
    clients.push(made);
    return made;
  }

  it("another node's worker is refused with one error naming the settings, and retried only slowly", async () => {
    workerNode = 'node-b';
    const lines: string[] = [];
    const ours = client('node-a', lines);
    await waitFor('the refusal logged', 5000, () => lines.some((l) => l.includes('belongs to another node')));
    await waitFor('the connection dropped', 5000, () => !ours.connected);
    const refusal = JSON.parse(lines.find((l) => l.includes('belongs to another node'))!) as Record<string, unknown>;
    expect(refusal).to.include({ level: 50, workerNodeId: 'node-b', nodeId: 'node-a' });
    expect(refusal.msg).to.match(/MEDIA_CONTROL_ADDRESSES/);
    // With the usual 20 ms reconnect delay this would be dozens of attempts.
    await holdsFor('no reconnect storm', 500, () => connections === 1 && !ours.connected);
    await ours.heartbeat().then(
      () => expect.fail('a request went to the refused worker'),
      (error: unknown) => expect(error).to.have.property('code', 'VB_MEDIA_UNAVAILABLE'),
    );
  });

  it("its own node's worker is used", async () => {
    workerNode = 'node-a';
    const lines: string[] = [];
    const ours = client('node-a', lines);
    await waitFor('connected', 5000, () => ours.connected);
    expect(await ours.heartbeat()).to.deep.equal({ calls: 0 });
    await holdsFor('kept', 200, () => ours.connected && connections === 1);
    expect(lines.some((l) => l.includes('another node'))).to.equal(false);
  });
});
