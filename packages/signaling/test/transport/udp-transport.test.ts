import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { parseCidr, type Cidr } from '@voicebridge/protocol';
import { UdpSipTransport } from '../../src/index.ts';

describe('UdpSipTransport', () => {
  it('hands on only datagrams from SIP_ALLOWED_CIDRS; other sources get nothing at all', async () => {
    const got: string[] = [];
    let delivered!: () => void;
    const arrived = new Promise<void>((resolve) => (delivered = resolve));
    const transport = new UdpSipTransport({
      bindAddress: '127.0.0.1',
      port: 0,
      allowed: [parseCidr('127.0.0.2/32') as Cidr],
      log: pino({ level: 'silent' }),
      onMessage: (data, source) => {
        got.push(`${source.address}:${data.toString()}`);
        delivered();
      },
    });
    const { port } = await transport.listen();
    const send = async (from: string, text: string): Promise<void> => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, from, resolve));
      await new Promise<void>((resolve) => s.send(text, port, '127.0.0.1', () => resolve()));
      s.close();
    };
    await send('127.0.0.1', 'from-outside');
    await send('127.0.0.2', 'from-trunk');
    await arrived;
    expect(got).to.deep.equal(['127.0.0.2:from-trunk']);
    expect(transport.refusedSources).to.equal(1);
    await transport.close();
    await transport.close();
  });

  it('warns when a message it sends is over 1,300 bytes (RFC 3261 §18.1.1), and still sends it', async () => {
    const lines: string[] = [];
    const transport = new UdpSipTransport({
      bindAddress: '127.0.0.1',
      port: 0,
      allowed: [parseCidr('127.0.0.0/8') as Cidr],
      log: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }),
      onMessage: () => undefined,
    });
    await transport.listen();
    const peer = createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    const got: number[] = [];
    let arrived!: () => void;
    const both = new Promise<void>((resolve) => (arrived = resolve));
    peer.on('message', (d: Buffer) => {
      got.push(d.length);
      if (got.length === 2) arrived();
    });
    const to = { address: '127.0.0.1', port: peer.address().port, transport: 'udp' as const };
    transport.send(Buffer.alloc(1300, 0x41), to);
    transport.send(Buffer.alloc(1301, 0x41), to);
    await both;
    expect(got).to.deep.equal([1300, 1301]);
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0] ?? '{}')).to.include({ bytes: 1301, level: 40 });
    peer.close();
    await transport.close();
  });
});
