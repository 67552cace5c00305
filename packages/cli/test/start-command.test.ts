import { expect } from 'chai';
import { runStartCommand } from '../src/start-command.ts';
import { Capture } from './helpers.ts';

describe('voicebridge start dispatch', () => {
  it('runs runStart(argv) from the start module and returns its exit status', async () => {
    const stderr = new Capture();
    const fake = new URL('./fixtures/fake-start.ts', import.meta.url);
    expect(await runStartCommand(['--fail'], stderr, fake)).to.equal(7);
    expect(await runStartCommand([], stderr, fake)).to.equal(0);
    expect(stderr.text).to.equal('');
  });

  it('reports a missing start module clearly and exits 1', async () => {
    const stderr = new Capture();
    const missing = new URL('./fixtures/does-not-exist.ts', import.meta.url);
    expect(await runStartCommand([], stderr, missing)).to.equal(1);
    expect(stderr.text).to.match(
      /^voicebridge: "start" is not available in this build: .*does-not-exist\.ts is missing\n$/,
    );
  });

  it('reports a module without runStart', async () => {
    const stderr = new Capture();
    expect(await runStartCommand([], stderr, new URL('./fixtures/no-run-start.ts', import.meta.url))).to.equal(1);
    expect(stderr.text).to.include('does not export runStart(argv)');
  });
});
