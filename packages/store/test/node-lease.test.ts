import { expect } from 'chai';
import { NodeLease, type NodeLeaseHolder, type NodeLeaseOptions } from '../src/index.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import { rejection, useTestRedis } from './redis-fixture.ts';

const silent = { warn: () => undefined, error: () => undefined };

describe('NodeLease (real Redis)', () => {
  const t = useTestRedis();
  const leases: NodeLease[] = [];
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((lease) => lease.close()));
  });

  function lease(overrides: Partial<NodeLeaseOptions> = {}): NodeLease {
    const made = new NodeLease({
      redis: t.redis,
      keys: t.keys,
      nodeId: 'node-a',
      ttlMs: 3000,
      host: 'host-1',
      pid: 1000,
      isAlive: () => true,
      log: silent,
      ...overrides,
    });
    leases.push(made);
    return made;
  }

  const holder = async (): Promise<NodeLeaseHolder | undefined> => NodeLease.holder(t.redis, t.keys, 'node-a');

  it('a free node id is taken: the key names host and pid and has the TTL', async () => {
    await lease().acquire();
    expect(await holder()).to.include({ host: 'host-1', pid: 1000 });
    const pttl = await t.redis.pttl(t.keys.nodeLease('node-a'));
    expect(pttl).to.be.within(1, 3000);
  });

  it('a second start on the same host while the holder lives is refused at once, naming pid, host, id and prefix, and changes nothing', async () => {
    await lease().acquire();
    const before = await t.redis.get(t.keys.nodeLease('node-a'));
    const startedAt = performance.now();
    const error = await rejection(lease({ pid: 2000 }).acquire());
    expect(performance.now() - startedAt).to.be.below(1000);
    expect(error.code).to.equal('VB_NODE_ID_HELD');
    expect(error.message).to.equal(
      `another voicebridge (pid 1000 on host host-1) holds node id node-a under prefix ${t.keys.prefix}: stop it, or give this one another NODE_ID or REDIS_KEY_PREFIX`,
    );
    expect(await t.redis.get(t.keys.nodeLease('node-a'))).to.equal(before);
  });

  it('the same host with the holder process gone (a crash restart) takes the lease over at once', async () => {
    await t.redis.set(
      t.keys.nodeLease('node-a'),
      JSON.stringify({ host: 'host-1', pid: 1000, startedAtMs: 1, token: 'old' }),
      'PX',
      60_000,
    );
    const startedAt = performance.now();
    await lease({ pid: 2000, isAlive: (pid) => pid !== 1000 }).acquire();
    expect(performance.now() - startedAt).to.be.below(1000);
    expect(await holder()).to.include({ host: 'host-1', pid: 2000 });
  });

  it('a holder on another host is waited out: taken once its lease expires, refused while it is renewed', async () => {
    // A crashed holder elsewhere: its lease is no longer renewed.
    await t.redis.set(
      t.keys.nodeLease('node-a'),
      JSON.stringify({ host: 'host-2', pid: 1000, startedAtMs: 1, token: 'old' }),
      'PX',
      600,
    );
    await lease({ pid: 2000 }).acquire();
    expect(await holder()).to.include({ host: 'host-1', pid: 2000 });
    await leases[0]?.close();
    // A live holder elsewhere keeps renewing: after one TTL of waiting the start gives up.
    await lease({ host: 'host-2', ttlMs: 600 }).acquire();
    const error = await rejection(lease({ ttlMs: 600, pid: 3000 }).acquire());
    expect(error.message).to.match(/^another voicebridge \(pid 1000 on host host-2\) holds node id node-a/);
  });

  it('a lease lost in a Redis outage (expired) is taken again by the heartbeat', async () => {
    const held = lease({ ttlMs: 300 });
    await held.acquire();
    const mine = await t.redis.get(t.keys.nodeLease('node-a'));
    await t.redis.del(t.keys.nodeLease('node-a'));
    await waitFor('the lease taken again', 3000, async () => (await t.redis.get(t.keys.nodeLease('node-a'))) === mine);
    expect(held.held).to.equal(true);
  });

  it('close releases only its own lease, once', async () => {
    const held = lease();
    await held.acquire();
    await held.close();
    await held.close();
    expect(await holder()).to.equal(undefined);
    const other = lease({ pid: 2000 });
    await other.acquire();
    await held.close();
    expect(await holder()).to.include({ pid: 2000 });
  });
});
