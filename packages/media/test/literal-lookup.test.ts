import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { expect } from 'chai';
import { literalLookup } from '../src/literal-lookup.ts';

describe('literalLookup (media sockets send to IP literals without a deferred dns.lookup)', () => {
  it('answers IPv4 and IPv6 literals before it returns, with their family', () => {
    const lookup = literalLookup();
    const answers: [string, number][] = [];
    for (const address of ['127.0.0.1', '127.0.0.1', '::1', '10.0.0.7']) {
      lookup(address, 4, (error, ip, family) => {
        expect(error).to.equal(null);
        answers.push([ip, family]);
      });
    }
    expect(answers).to.deep.equal([
      ['127.0.0.1', 4],
      ['127.0.0.1', 4],
      ['::1', 6],
      ['10.0.0.7', 4],
    ]);
  });

  it('passes a name to dns.lookup', async () => {
    const lookup = literalLookup();
    const answer = new Promise<[NodeJS.ErrnoException | null, string, number]>((resolve) =>
      lookup('localhost', 4, (...args) => resolve(args)),
    );
    const [error, ip, family] = await answer;
    expect(error).to.equal(null);
    expect(family).to.equal(4);
    expect(ip).to.match(/^127\./);
  });

  it('carries a datagram between real sockets, whole and as an offset and length', async () => {
    const receiver = createSocket('udp4');
    const sender: Socket = createSocket({ type: 'udp4', lookup: literalLookup() });
    try {
      receiver.bind(0, '127.0.0.1');
      await once(receiver, 'listening');
      const { port } = receiver.address();
      const sent = new Promise<Error | null>((resolve) => sender.send(Buffer.from('one'), port, '127.0.0.1', resolve));
      const [first] = (await once(receiver, 'message')) as [Buffer];
      expect(await sent).to.equal(null);
      sender.send(Buffer.from('xtwox'), 1, 3, port, '127.0.0.1');
      const [second] = (await once(receiver, 'message')) as [Buffer];
      expect([first.toString(), second.toString()]).to.deep.equal(['one', 'two']);
    } finally {
      sender.close();
      receiver.close();
    }
  });
});
