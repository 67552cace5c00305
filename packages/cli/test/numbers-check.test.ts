import { expect } from 'chai';
import { NumberRepository } from '@voicebridge/store';
import { type CliResult, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551230004';

/** The agent's side of a probe, and real agents answering it, are in agent-probe.test.ts and sipp-agent-refusal.test.ts. */
describe('voicebridge numbers check without an agent (runCli, real Redis)', () => {
  const db = useTestRedis();

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv);

  it('with no agent worker on the prefix: exit 1 after --timeout, saying so, and the probe is withdrawn', async () => {
    await new NumberRepository(db.redis, db.keys).put({ number: NUMBER, agent: { kind: 'echo' } });
    const result = await cli('numbers', 'check', NUMBER, '--timeout', '1');
    expect(result.status).to.equal(1);
    expect(result.stderr).to.equal(
      `voicebridge: no agent answered the probe within 1 s: is an agent worker running with REDIS_KEY_PREFIX=${db.keys.prefix}?\n`,
    );
    const left = await db.redis.keys(`${db.keys.prefix}:bull:calls:probe-*`);
    expect(left).to.deep.equal([]);
    expect(await db.redis.llen(`${db.keys.prefix}:bull:calls:wait`)).to.equal(0);
  });

  it('refuses a number not configured (exit 1), a bad number or --timeout (exit 2, naming it)', async () => {
    const missing = await cli('numbers', 'check', NUMBER);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.equal(`voicebridge: number ${NUMBER} is not configured\n`);
    const bad = await cli('numbers', 'check', '5550100');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('invalid <number> "5550100"');
    for (const timeout of ['0', '61', '1.5', 'soon']) {
      const result = await cli('numbers', 'check', NUMBER, '--timeout', timeout);
      expect(result.status, timeout).to.equal(2);
      expect(result.stderr).to.include(`invalid --timeout "${timeout}": must be a whole number from 1 to 60`);
    }
    expect((await cli('numbers', 'check', '--help')).stdout).to.include('Usage: voicebridge numbers check <number>');
  });
});
