import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Registry } from '@voicebridge/metrics';
import { connectRedis } from '../src/index.ts';
import { parsePrometheusText, sumOf } from '../../../test/support/prometheus-text.ts';

describe('Redis command errors counted per connection (real Redis)', () => {
  const key = `vbtest:redis-errors:${randomBytes(4).toString('hex')}`;

  it('counts an error reply on the connection that got it, and nothing for commands that succeed', async () => {
    const registry = new Registry();
    const a = connectRedis('redis://127.0.0.1:6379', 'vb-test-a', registry);
    const b = connectRedis('redis://127.0.0.1:6379', 'vb-test-b', registry);
    try {
      await a.set(key, 'text');
      await b.get(key);
      const error = await a.incr(key).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.match(/not an integer/);
      const samples = parsePrometheusText(await registry.metrics());
      expect(sumOf(samples, 'voicebridge_redis_errors_total', { connection: 'vb-test-a' })).to.equal(1);
      expect(sumOf(samples, 'voicebridge_redis_errors_total', { connection: 'vb-test-b' })).to.equal(0);
    } finally {
      await a.del(key);
      a.disconnect();
      b.disconnect();
    }
  });

  it('counts a command refused because the connection was closed', async () => {
    const registry = new Registry();
    const redis = connectRedis('redis://127.0.0.1:6379', 'vb-test-closed', registry);
    await redis.quit();
    await redis.ping().then(
      () => expect.fail('a command on a closed connection succeeded'),
      () => undefined,
    );
    const samples = parsePrometheusText(await registry.metrics());
    expect(sumOf(samples, 'voicebridge_redis_errors_total', { connection: 'vb-test-closed' })).to.equal(1);
  });
});
