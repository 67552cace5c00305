import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { parseCidr, type Cidr } from '@voicebridge/protocol';
import type { Endpoint } from '@voicebridge/sip';
import { TcpSipTransport } from '../../src/transport/tcp-transport.ts';
import { repeatEvery } from '../../../../test/support/wait-for.ts';

const message = (callId: string, body = ''): string =>
  [
    `OPTIONS sip:x@127.0.0.1 SIP/2.0`,
    'Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKt',
    'From: <sip:a@b>;tag=1',
    'To: <sip:x@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');

describe('TcpSipTransport', () => {
  let transport: TcpSipTransport;
  let port: number;
  const got: { text: string; from: Endpoint }[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const sockets: Socket[] = [];

  beforeEach(async () => {
    got.length = 0;
    transport = new TcpSipTransport({
      bindAddress: '127.0.0.1',
      port: 0,
      allowed: [parseCidr('127.0.0.0/8') as Cidr],
      log: pino({ level: 'silent' }),
      messageTimeoutMs: 200,
      maxBufferBytes: 4096,
      onMessage: (data, from) => {
        got.push({ text: data.toString(), from });
        waiters = waiters.filter((w) => (got.length >= w.n ? (w.resolve(), false) : true));
      },
    });
    port = (await transport.listen()).port;
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await transport.close();
    await transport.close();
  });

  async function open(): Promise<Socket> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined); // the transport resets the connections it cuts
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    return socket;
  }

  const until = (n: number): Promise<void> =>
    got.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }));
  const closed = (socket: Socket): Promise<void> => new Promise((resolve) => socket.once('close', () => resolve()));

  it('frames by Content-Length: a message split anywhere and two in one chunk arrive whole', async () => {
    const socket = await open();
    const one = message('one', 'v=0\r\n');
    socket.write(one.slice(0, 7));
    socket.write(one.slice(7, 60));
    socket.write(one.slice(60) + message('two') + message('three').slice(0, 20));
    await until(2);
    socket.write(message('three').slice(20));
    await until(3);
    expect(got.map((g) => /Call-ID: (\w+)/.exec(g.text)?.[1])).to.deep.equal(['one', 'two', 'three']);
    expect(got[0]?.text.endsWith('v=0\r\n')).to.equal(true);
    expect(got[0]?.from.transport).to.equal('tcp');
  });

  it('sends back on the peer connection, and answers a CRLF CRLF keep-alive with CRLF (RFC 5626)', async () => {
    const socket = await open();
    socket.write(message('a'));
    await until(1);
    const data = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    transport.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), got[0]!.from);
    expect(await data).to.equal('SIP/2.0 200 OK\r\n\r\n');
    const pong = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write('\r\n\r\n');
    expect(await pong).to.equal('\r\n');
    expect(transport.connectionCount).to.equal(1);
  });

  it('closes a stream whose Content-Length is not a number, and keeps serving others', async () => {
    const bad = await open();
    bad.resume(); // it answers 400 first, and the close is only seen once that is read
    const gone = closed(bad);
    bad.write(message('bad').replace('Content-Length: 0', 'Content-Length: abc'));
    await gone;
    const good = await open();
    good.write(message('good'));
    await until(1);
    expect(got.map((g) => /Call-ID: (\w+)/.exec(g.text)?.[1])).to.deep.equal(['good']);
  });

  it('answers 400 to a request it cannot frame (Content-Length: -999, RFC 4475 ncl) before closing', async () => {
    const bad = await open();
    let reply = '';
    bad.on('data', (d: Buffer) => (reply += d.toString()));
    const gone = closed(bad);
    bad.write(message('ncl').replace('Content-Length: 0', 'Content-Length: -999'));
    await gone;
    expect(reply.split('\r\n')[0]).to.equal('SIP/2.0 400 Malformed Content-Length');
    expect(reply).to.match(/^Call-ID: ncl\r$/m);
    expect(got).to.have.length(0);
    for (let i = 0; i < 100 && transport.connectionCount > 0; i++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(transport.connectionCount).to.equal(0);
  });

  it('cuts a peer that trickles a message slower than the message timeout (slow-loris)', async () => {
    const socket = await open();
    const gone = closed(socket);
    socket.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 1.2.3.4\r\n');
    const stopTrickle = repeatEvery(50, () => socket.writable && socket.write('X-Slow: y\r\n'));
    await gone;
    stopTrickle();
    expect(got).to.have.length(0);
  });

  it('closes a connection that buffers more than its limit without completing a message', async () => {
    const socket = await open();
    const gone = closed(socket);
    socket.write(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nX-Big: ${'a'.repeat(70_000)}`);
    await gone;
    expect(got).to.have.length(0);
  });
});
