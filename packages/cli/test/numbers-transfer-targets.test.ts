import { expect } from 'chai';
import { NumberRepository } from '@voicebridge/store';
import { type CliResult, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551230002';

describe('voicebridge numbers set --transfer-target (runCli, real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv);

  it('stores the allow-list (repeatable, replaces the list), get shows it, "" removes it', async () => {
    expect(
      (
        await cli(
          'numbers',
          'set',
          NUMBER,
          '--transfer-target',
          '+15550123',
          '--transfer-target',
          'sip:*@pbx.example.com',
        )
      ).status,
    ).to.equal(0);
    expect((await numbers.get(NUMBER))?.transferTargets).to.deep.equal(['+15550123', 'sip:*@pbx.example.com']);
    expect((await cli('numbers', 'get', NUMBER)).stdout).to.match(
      /^transfers to +\+15550123, sip:\*@pbx\.example\.com$/m,
    );
    expect((await cli('numbers', 'set', NUMBER, '--transfer-target', 'tel:+15550999')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.transferTargets).to.deep.equal(['tel:+15550999']);
    expect((await cli('numbers', 'set', NUMBER, '--greeting', 'Hi')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.transferTargets).to.deep.equal(['tel:+15550999']);
    expect((await cli('numbers', 'set', NUMBER, '--transfer-target', '')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.transferTargets).to.equal(undefined);
  });

  it('refuses a target that is not a number or sip:/sips:/tel: URI, naming the flag and its position', async () => {
    const bad = await cli(
      'numbers',
      'set',
      NUMBER,
      '--transfer-target',
      '+15550123',
      '--transfer-target',
      'http://example.com',
    );
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('invalid --transfer-target #2: must be a number or a sip:/sips:/tel: URI');
    expect(await numbers.get(NUMBER)).to.equal(undefined);
  });
});
