import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { describeRun, runSipp } from '../src/sipp.ts';
import { holdsFor, repeatEvery, waitFor } from '../../test/support/wait-for.ts';

const MESSAGE_TIMEOUT_MS = 1500;
const IDLE_TIMEOUT_MS = 4000;
const MAX_CONNECTIONS = 6;

/** The SIP limits of docs/configuration.md, set through the environment of the real `voicebridge start`. */
describe('SIP limits on the live bridge (SIP_TCP_*, SIP_MAX_*)', function () {
  this.timeout(60_000);
  let bridge: RunningBridge;
  const sockets: Socket[] = [];

  before(async () => {
    bridge = await startBridge({
      env: {
        SIP_TCP_MESSAGE_TIMEOUT_MS: String(MESSAGE_TIMEOUT_MS),
        SIP_TCP_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
        SIP_TCP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  after(async () => {
    await bridge?.stop();
  });

  async function open(): Promise<{ socket: Socket; data: () => string; closed: Promise<void> }> {
    const socket = connect({ host: '127.0.0.1', port: bridge.sipPort });
    sockets.push(socket);
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    return { socket, data: () => text, closed };
  }

  it('closes a slow-loris TCP peer (a header line every 100 ms, never finished) and never answers it', async () => {
    const peer = await open();
    peer.socket.write(options('TCP', []).split('\r\n\r\n')[0] + '\r\n');
    let lines = 0;
    const stopTrickle = repeatEvery(100, () => {
      if (peer.socket.writable && lines++ < 300) peer.socket.write(`X-Slow-${lines}: y\r\n`);
    });
    await peer.closed;
    stopTrickle();
    expect(lines, 'cut well before the trickle ran out').to.be.below(300);
    expect(peer.data()).to.equal('');
  });

  it('closes a TCP connection that stays idle for SIP_TCP_IDLE_TIMEOUT_MS', async () => {
    const peer = await open();
    await peer.closed;
  });

  it('answers a 64 KB header line over UDP with 513 (SIP_MAX_HEADER_LINE_BYTES)', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      const reply = new Promise<string>((resolve) =>
        socket.once('message', (d: Buffer) => resolve(d.toString('latin1'))),
      );
      const datagram = Buffer.from(options('UDP', [`X-Big: ${'a'.repeat(64 * 1024 - 600)}`]));
      expect(datagram.length).to.be.within(64_000, 65_507);
      socket.send(datagram, bridge.sipPort, '127.0.0.1');
      expect((await reply).split('\r\n')[0]).to.equal('SIP/2.0 513 Header Line Too Long');
    } finally {
      socket.close();
    }
  });

  it('answers a 64 KB header over TCP with 513 or closes, and a 200 KB one with a close (SIP_TCP_MAX_BUFFER_BYTES)', async () => {
    const peer = await open();
    peer.socket.write(options('TCP', [`X-Big: ${'a'.repeat(64 * 1024)}`]));
    await Promise.race([peer.closed, waitFor('a 513', 10_000, () => peer.data().startsWith('SIP/2.0 513 '))]);
    const huge = await open();
    huge.socket.write(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nX-Big: ${'a'.repeat(200 * 1024)}`);
    await huge.closed;
  });

  it(`refuses a TCP connection beyond SIP_TCP_MAX_CONNECTIONS (${MAX_CONNECTIONS}) and takes new ones once others close`, async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open()));
    const extra = await open();
    await extra.closed;
    held[0]?.socket.destroy();
    await held[0]?.closed;
    await waitFor('a connection accepted again', 10_000, async () => {
      const again = await open();
      // Open is proven by the bridge not closing it for a while.
      const stayedOpen = await holdsFor('the connection open', 300, () => !again.socket.closed).then(
        () => true,
        () => false,
      );
      again.socket.destroy();
      return stayedOpen;
    });
  });

  it('still answers OPTIONS over UDP and TCP afterwards, from a signaling process that never restarted', async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const transport of [[], ['-t', 't1']]) {
      const run = await runSipp({
        scenario: 'uac-options.xml',
        target: `127.0.0.1:${bridge.sipPort}`,
        service: '+15550199',
        timeoutMs: 10_000,
        extraArgs: transport,
      });
      expect(run.code, describeRun(run)).to.equal(0);
    }
    expect(
      bridge.logs.filter((line) => /exited \(code|uncaught exception|unhandled rejection/.test(line)),
    ).to.deep.equal([]);
  });
});

function options(transport: 'UDP' | 'TCP', extra: string[]): string {
  const id = randomBytes(4).toString('hex');
  return [
    'OPTIONS sip:+15550199@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/${transport} 127.0.0.1:5999;branch=z9hG4bK-${id};rport`,
    `From: <sip:limits@127.0.0.1>;tag=${id}`,
    'To: <sip:+15550199@127.0.0.1>',
    `Call-ID: limits-${id}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
