import { expect } from 'chai';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { bdecode, bencode, type BencodeValue } from '../bench/bencode.ts';
import { NgClient } from '../bench/ng-client.ts';

// A local ng server written from rtpengine's docs/ng_control_protocol.md: a datagram is a cookie,
// one space and a bencoded dictionary with `command`; the reply repeats the cookie and carries
// `result` (`ok`, `pong`, or `error` with `error-reason`).

type Handler = (request: { [key: string]: BencodeValue }, cookie: string, from: RemoteInfo) => void;

async function ngServer(handler: Handler): Promise<{ socket: Socket; port: number; received: string[] }> {
  const socket = createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (message, from) => {
    const space = message.indexOf(0x20);
    const cookie = message.subarray(0, space).toString('latin1');
    received.push(cookie);
    handler(bdecode(message.subarray(space + 1)) as { [key: string]: BencodeValue }, cookie, from);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, received };
}

function answer(socket: Socket, to: RemoteInfo, cookie: string, reply: BencodeValue): void {
  socket.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(reply)]), to.port, to.address);
}

describe('ng client (rtpengine control protocol over UDP)', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it('sends the command in a bencoded dictionary after a cookie and resolves with the reply', async () => {
    const server = await ngServer((request, cookie, from) => {
      expect(request).to.deep.equal({ command: 'offer', 'call-id': 'c1', 'from-tag': 'a', sdp: 'v=0\r\n' });
      answer(server.socket, from, cookie, { result: 'ok', sdp: 'v=0\r\nm=audio 30000 RTP/AVP 8\r\n' });
    });
    closers.push(() => server.socket.close());
    const client = await NgClient.open(server.port);
    closers.push(() => client.close());
    const reply = await client.request('offer', { 'call-id': 'c1', 'from-tag': 'a', sdp: 'v=0\r\n' });
    expect(reply).to.deep.equal({ result: 'ok', sdp: 'v=0\r\nm=audio 30000 RTP/AVP 8\r\n' });
  });

  it('rejects with rtpengine’s error-reason', async () => {
    const server = await ngServer((_, cookie, from) =>
      answer(server.socket, from, cookie, { result: 'error', 'error-reason': 'Unknown call-id' }),
    );
    closers.push(() => server.socket.close());
    const client = await NgClient.open(server.port);
    closers.push(() => client.close());
    let error: unknown;
    await client.request('answer', { 'call-id': 'nope' }).catch((e: unknown) => (error = e));
    expect(String(error)).to.equal('Error: rtpengine: Unknown call-id');
  });

  it('resends a lost request with the same cookie, and ignores replies that are not for it', async () => {
    let seen = 0;
    const server = await ngServer((_, cookie, from) => {
      seen++;
      // The first copy is "lost"; a reply to no request and a malformed one come first.
      if (seen === 1) return;
      answer(server.socket, from, 'someone-else_1', { result: 'ok' });
      server.socket.send(Buffer.from(`${cookie} d6:result`), from.port, from.address);
      answer(server.socket, from, cookie, { result: 'pong' });
    });
    closers.push(() => server.socket.close());
    const client = await NgClient.open(server.port);
    closers.push(() => client.close());
    const reply = await client.request('ping');
    expect(reply).to.deep.equal({ result: 'pong' });
    // A third copy goes out only if the reply took over 400 ms (a loaded box): same cookie still.
    expect(server.received.length).to.be.within(2, 5);
    expect(new Set(server.received).size).to.equal(1);
    expect(client.ignored).to.be.at.least(2);
  });

  it('gives up after its bounded resends when nothing answers', async () => {
    const server = await ngServer(() => undefined);
    closers.push(() => server.socket.close());
    const client = await NgClient.open(server.port);
    closers.push(() => client.close());
    let error: unknown;
    await client.request('ping').catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/did not answer "ping"/);
    expect(server.received).to.have.length(5);
  });

  it('rejects what is pending when closed, and refuses new requests', async () => {
    const server = await ngServer(() => undefined);
    closers.push(() => server.socket.close());
    const client = await NgClient.open(server.port);
    const pending = client.request('ping').catch((e: unknown) => e);
    client.close();
    client.close();
    expect(String(await pending)).to.match(/closed before the reply/);
    expect(String(await client.request('ping').catch((e: unknown) => e))).to.match(/ng client closed/);
  });
});
