import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { decodeAudioFrame, encodeAudioFrame, encodeControl, decodeControlJson } from '@voicebridge/protocol';
import { RedisAudioChannel } from '../src/index.ts';

describe('RedisAudioChannel', () => {
  const connections: Redis[] = [];
  const channels: RedisAudioChannel[] = [];
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;

  function connect(): Redis {
    const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false });
    connections.push(r);
    return r;
  }
  function bus(): RedisAudioChannel {
    const c = new RedisAudioChannel({ publisher: connect(), subscriber: connect(), keyPrefix: prefix });
    channels.push(c);
    return c;
  }

  afterEach(async () => {
    for (const c of channels.splice(0)) await c.close();
    for (const r of connections.splice(0)) r.disconnect();
  });

  it('carries audio and control from media to agent in order, bytes intact', async () => {
    const media = bus();
    const agent = bus();
    const got: Buffer[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const agentEnd = agent.open('c1', 'agent', (m) => {
      got.push(m);
      if (got.length === 3) resolveDone();
    });
    const mediaEnd = media.open('c1', 'media', () => undefined);
    await agentEnd.ready;
    const samples = Int16Array.from([0, 1, -1, 32767, -32768]);
    mediaEnd.send(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 160, samples, filled: false }));
    mediaEnd.send(encodeControl({ event: 'mark', name: 'm1', played: true }));
    mediaEnd.send(encodeAudioFrame({ sampleRateHz: 8000, sampleOffset: 320, samples, filled: true }));
    await done;
    expect(decodeAudioFrame(got[0]!)?.sampleOffset).to.equal(160);
    expect([...decodeAudioFrame(got[0]!)!.samples]).to.deep.equal([...samples]);
    expect(decodeControlJson(got[1]!)).to.deep.equal({ event: 'mark', name: 'm1', played: true });
    expect(decodeAudioFrame(got[2]!)?.filled).to.equal(true);
  });

  it('refuses a publisher with auto-pipelining on', () => {
    const pub = new Redis({ enableAutoPipelining: true, lazyConnect: true });
    connections.push(pub);
    expect(() => new RedisAudioChannel({ publisher: pub, subscriber: connect(), keyPrefix: prefix })).to.throw(
      /enableAutoPipelining/,
    );
  });

  it('delivers nothing to an end after it is closed, and close is idempotent', async () => {
    const media = bus();
    const agent = bus();
    let delivered = 0;
    const agentEnd = agent.open('c2', 'agent', () => delivered++);
    await agentEnd.ready;
    agentEnd.close();
    agentEnd.close();
    let resolveProbe!: () => void;
    const probed = new Promise<void>((resolve) => (resolveProbe = resolve));
    const probe = agent.open('c3', 'agent', () => resolveProbe());
    await probe.ready;
    // Both publishes go over one publisher to one subscriber, so c2's would arrive before c3's.
    media.open('c2', 'media', () => undefined).send(encodeControl({ event: 'stop', reason: 'caller-bye' }));
    media.open('c3', 'media', () => undefined).send(encodeControl({ event: 'stop', reason: 'caller-bye' }));
    await probed;
    expect(delivered).to.equal(0);
  });

  it('refuses to open the same call twice on one side', () => {
    const agent = bus();
    agent.open('c4', 'agent', () => undefined);
    expect(() => agent.open('c4', 'agent', () => undefined)).to.throw(/already open/);
  });
});
