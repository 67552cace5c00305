import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { PublishBatcher } from '../src/publish-batcher.ts';
import { holdsFor, waitFor } from '../../../test/support/wait-for.ts';

describe('PublishBatcher (one socket write per event-loop turn, real Redis)', () => {
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const connections: Redis[] = [];

  function connect(): Redis {
    const r = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    connections.push(r);
    return r;
  }

  afterEach(() => {
    for (const r of connections.splice(0)) r.disconnect();
  });

  async function subscribed(
    channels: string[],
    expected: number,
  ): Promise<{ got: Map<string, string[]>; done: Promise<void> }> {
    const subscriber = connect();
    const got = new Map<string, string[]>(channels.map((c) => [c, []]));
    let count = 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      got.get(channel.toString())?.push(message.toString());
      if (++count === expected) resolveDone();
    });
    await subscriber.subscribe(...channels);
    return { got, done };
  }

  it('sends the first frame of a turn at once and the rest of the turn in one more socket write, each channel in order', async () => {
    const channels = Array.from({ length: 10 }, (_, i) => `${prefix}:c${i}`);
    const { got, done } = await subscribed(channels, 100);
    const publisher = connect();
    await publisher.ping();
    // What reaches the socket's handle: one _write or _writev call per write syscall batch.
    let writes = 0;
    const stream = (publisher as unknown as { stream: Record<'_write' | '_writev', (...args: unknown[]) => unknown> })
      .stream;
    for (const method of ['_write', '_writev'] as const) {
      const original = stream[method].bind(stream);
      stream[method] = (...args: unknown[]) => {
        writes++;
        return original(...args);
      };
    }
    const batcher = new PublishBatcher(publisher, (error) => expect.fail(error.message));
    for (let n = 0; n < 10; n++) for (const channel of channels) batcher.publish(channel, Buffer.from(`${n}`));
    expect(writes).to.equal(1); // the turn's first frame at once, the other 99 wait for the end of the turn
    await done;
    expect(writes).to.equal(2);
    for (const channel of channels)
      expect(got.get(channel)).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    batcher.close();
  });

  it('close sends what is pending at once and takes nothing after', async () => {
    const channel = `${prefix}:close`;
    const { got, done } = await subscribed([channel], 2);
    const batcher = new PublishBatcher(connect(), (error) => expect.fail(error.message));
    batcher.publish(channel, Buffer.from('a'));
    batcher.publish(channel, Buffer.from('b'));
    batcher.close();
    batcher.close();
    batcher.publish(channel, Buffer.from('c'));
    await done;
    await holdsFor('nothing published after close', 50, () => got.get(channel)?.length === 2);
    expect(got.get(channel)).to.deep.equal(['a', 'b']);
  });

  it('reports a failed publish to onError instead of throwing', async () => {
    const publisher = connect();
    await publisher.ping();
    publisher.disconnect();
    const errors: Error[] = [];
    const batcher = new PublishBatcher(publisher, (error) => errors.push(error));
    batcher.publish(`${prefix}:x`, Buffer.from('1'));
    batcher.publish(`${prefix}:x`, Buffer.from('2'));
    await waitFor('the failed publish reported', 1000, () => errors.length > 0);
    expect(errors[0]?.message).to.match(/closed|connection/i);
  });
});
