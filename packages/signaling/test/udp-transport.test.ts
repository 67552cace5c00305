import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { parseCidr, type Cidr } from '@voicebridge/protocol';
import { UdpSipTransport } from '../src/index.ts';

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
});
