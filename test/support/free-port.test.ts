import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { freePort, freePortBlock, freeRtpPortRange, portIsFree } from './free-port.ts';

/** Linux's default ephemeral range starts here; every test port lies below it. */
const EPHEMERAL_MIN = 32768;

describe('test support: free ports', () => {
  it('picks single ports below the ephemeral range, free for each protocol asked for', async () => {
    for (let i = 0; i < 10; i++) {
      const port = await freePort('udp', 'tcp');
      expect(port).to.be.within(20000, EPHEMERAL_MIN - 1);
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
      socket.close();
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('picks RTP ranges from an even port inside 10000-19999, apart from the single ports', async () => {
    for (let i = 0; i < 10; i++) {
      const { minPort, maxPort } = await freeRtpPortRange(40);
      expect(minPort % 2).to.equal(0);
      expect(maxPort - minPort).to.equal(39);
      expect(minPort).to.be.at.least(10000);
      expect(maxPort).to.be.at.most(19999);
    }
  });

  it('counts a port something on the machine holds as taken, for that protocol', async () => {
    const port = await freePort('udp', 'tcp');
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(port, '127.0.0.1', resolve));
    expect(await portIsFree(port, 'tcp')).to.equal(false);
    expect(await portIsFree(port, 'udp', 'tcp')).to.equal(false);
    expect(await portIsFree(port, 'udp')).to.equal(true);
    await new Promise<void>((resolve) => held.close(() => resolve()));
    expect(await portIsFree(port, 'tcp')).to.equal(true);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
    expect(await portIsFree(port)).to.equal(false);
    socket.close();
  });

  it('finds a block of consecutive TCP ports, every one of them free', async () => {
    const first = await freePortBlock(4, 'tcp');
    expect(first + 3).to.be.below(EPHEMERAL_MIN);
    const servers = Array.from({ length: 4 }, () => createServer());
    await Promise.all(servers.map((s, i) => new Promise<void>((resolve) => s.listen(first + i, '127.0.0.1', resolve))));
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });
});
