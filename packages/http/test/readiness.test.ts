import { expect } from 'chai';
import { Readiness, type ReadinessCheck } from '../src/readiness.ts';

function switchable(name: string, failAfterMs?: number): ReadinessCheck & { ok: boolean } {
  const check = {
    name,
    ok: true,
    ...(failAfterMs === undefined ? {} : { failAfterMs }),
    check: () => Promise.resolve(check.ok ? { ok: true } : { ok: false, detail: `${name} is down` }),
  };
  return check;
}

describe('Readiness', () => {
  let now = 0;
  const nowMs = (): number => now;

  it('is ready when every check passes, and reports each check', async () => {
    const readiness = new Readiness({ checks: [switchable('redis'), switchable('agents')], nowMs });
    await readiness.runOnce();
    expect(readiness.report()).to.deep.equal({ ready: true, checks: { redis: { ok: true }, agents: { ok: true } } });
    readiness.close();
  });

  it('a blip shorter than failAfterMs does not flap; a failure that lasts turns the node not ready, naming it', async () => {
    const redis = switchable('redis');
    const readiness = new Readiness({ checks: [redis], failAfterMs: 3000, nowMs });
    now = 10_000;
    redis.ok = false;
    await readiness.runOnce();
    expect(readiness.report().ready).to.equal(true);
    expect(readiness.report().checks['redis']).to.deep.equal({ ok: true, detail: 'redis is down' });
    now = 11_000;
    redis.ok = true;
    await readiness.runOnce();
    now = 12_000;
    redis.ok = false;
    await readiness.runOnce();
    now = 14_999;
    await readiness.runOnce();
    expect(readiness.report().ready, 'the failure restarted at 12 s').to.equal(true);
    now = 15_000;
    await readiness.runOnce();
    expect(readiness.report()).to.deep.equal({
      ready: false,
      checks: { redis: { ok: false, detail: 'redis is down' } },
    });
    redis.ok = true;
    await readiness.runOnce();
    expect(readiness.report().ready).to.equal(true);
    readiness.close();
  });

  it('a check with failAfterMs 0 (draining) counts at once', async () => {
    const draining = switchable('draining', 0);
    const readiness = new Readiness({ checks: [draining], nowMs });
    draining.ok = false;
    await readiness.runOnce();
    expect(readiness.report().ready).to.equal(false);
    readiness.close();
  });

  it('a check that throws or never answers fails with the reason', async () => {
    const readiness = new Readiness({
      checks: [
        { name: 'throws', failAfterMs: 0, check: () => Promise.reject(new Error('connection refused')) },
        { name: 'hangs', failAfterMs: 0, check: () => new Promise(() => undefined) },
      ],
      timeoutMs: 50,
      nowMs,
    });
    await readiness.runOnce();
    expect(readiness.report()).to.deep.equal({
      ready: false,
      checks: {
        throws: { ok: false, detail: 'connection refused' },
        hangs: { ok: false, detail: 'no answer in time' },
      },
    });
    readiness.close();
  });
});
