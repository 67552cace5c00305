import { expect } from 'chai';
import { runMain, useTestRedis } from './helpers.ts';

describe('voicebridge entry point (subprocess)', function () {
  // Each runMain starts Node and compiles the CLI's TypeScript: seconds each when the machine is busy.
  this.timeout(60_000);
  const db = useTestRedis();

  it('numbers set +12ab exits 2 naming the argument', async () => {
    const result = await runMain(['numbers', 'set', '+12ab'], { REDIS_KEY_PREFIX: db.keys.prefix });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(
      /^voicebridge: invalid <number> "\+12ab": must be E\.164 \(\+ then 7 to 15 digits\)\n/,
    );
    expect(result.stdout).to.equal('');
  });

  it('numbers set then numbers get --json round-trips under REDIS_KEY_PREFIX', async () => {
    const set = await runMain(
      ['numbers', 'set', '+15551230009', '--agent', 'scripted', '--greeting', 'Hi', '--answer', 'hi=Hello'],
      { REDIS_KEY_PREFIX: db.keys.prefix },
    );
    expect(set.stderr).to.equal('');
    expect(set.status).to.equal(0);
    const get = await runMain(['numbers', 'get', '+15551230009', '--json'], { REDIS_KEY_PREFIX: db.keys.prefix });
    expect(get.status).to.equal(0);
    const config = JSON.parse(get.stdout) as Record<string, unknown>;
    expect(config).to.include({ version: 2, number: '+15551230009', enabled: true, configVersion: 1 });
    expect(config['agent']).to.deep.equal({
      kind: 'scripted',
      greeting: 'Hi',
      answers: [{ keyword: 'hi', text: 'Hello' }],
    });
    expect(await db.redis.exists(db.keys.number('+15551230009'))).to.equal(1);
  });

  it('exits 2 naming a bad environment variable', async () => {
    const prefix = await runMain(['numbers', 'list'], { REDIS_KEY_PREFIX: 'vb*' });
    expect(prefix.status).to.equal(2);
    expect(prefix.stderr).to.match(/^voicebridge: invalid REDIS_KEY_PREFIX: /);
    const url = await runMain(['numbers', 'list'], { REDIS_URL: 'http://127.0.0.1:6379' });
    expect(url.status).to.equal(2);
    expect(url.stderr).to.match(/^voicebridge: invalid REDIS_URL: /);
  });
});
