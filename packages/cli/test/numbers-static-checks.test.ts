import { expect } from 'chai';
import { FLITE_VOICES } from '@voicebridge/protocol';
import { NumberRepository } from '@voicebridge/store';
import { type CliResult, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551230003';

describe('voicebridge numbers set: voice and DTMF-in-records (runCli, real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv);

  it('refuses a voice flite does not have, listing the valid ones, and writes nothing', async () => {
    const bad = await cli('numbers', 'set', NUMBER, '--voice', 'bogus');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include(
      `invalid --voice "bogus": flite has no voice "bogus"; valid voices: ${FLITE_VOICES.join(', ')}`,
    );
    expect(await numbers.get(NUMBER)).to.equal(undefined);
    // A path to a voice file would reach flite's command line: refused like any unknown name.
    expect((await cli('numbers', 'set', NUMBER, '--voice', '/tmp/x.flitevox')).status).to.equal(2);
    for (const voice of FLITE_VOICES) {
      expect((await cli('numbers', 'set', NUMBER, '--voice', voice)).status, voice).to.equal(0);
      expect((await numbers.get(NUMBER))?.engines?.tts?.voice).to.equal(voice);
    }
  });

  it('a stored config with an unknown voice is refused on the next set until --voice fixes it', async () => {
    await numbers.put({ number: NUMBER, agent: { kind: 'scripted' }, engines: { tts: { voice: 'bogus' } } });
    const bad = await cli('numbers', 'set', NUMBER, '--greeting', 'Hi');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('invalid --voice: flite has no voice "bogus"');
    expect((await cli('numbers', 'set', NUMBER, '--greeting', 'Hi', '--voice', 'slt')).status).to.equal(0);
  });

  it('--dtmf-in-records stores masked or digits, get shows masked by default; other values name the flag', async () => {
    expect((await cli('numbers', 'set', NUMBER)).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.not.have.property('dtmfInRecords');
    expect((await cli('numbers', 'get', NUMBER)).stdout).to.match(/^DTMF in records +masked$/m);
    expect((await cli('numbers', 'set', NUMBER, '--dtmf-in-records', 'digits')).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.deep.include({ dtmfInRecords: 'digits' });
    expect((await cli('numbers', 'get', NUMBER)).stdout).to.match(/^DTMF in records +digits$/m);
    const bad = await cli('numbers', 'set', NUMBER, '--dtmf-in-records', 'all');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('invalid --dtmf-in-records "all"');
    expect((await cli('numbers', 'set', NUMBER, '--dtmf-in-records', '')).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.not.have.property('dtmfInRecords');
    expect((await cli('numbers', 'set', '--help')).stdout).to.include('--dtmf-in-records masked|digits');
  });

  it('--greeting-interruptible stores true or false, get shows it; other values name the flag', async () => {
    expect((await cli('numbers', 'set', NUMBER)).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.not.have.property('greetingInterruptible');
    expect((await cli('numbers', 'set', NUMBER, '--greeting-interruptible', 'false')).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.deep.include({ greetingInterruptible: false });
    expect((await cli('numbers', 'get', NUMBER)).stdout).to.match(/^barge-in +not on the greeting$/m);
    expect((await cli('numbers', 'set', NUMBER, '--greeting-interruptible', 'true')).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.deep.include({ greetingInterruptible: true });
    const bad = await cli('numbers', 'set', NUMBER, '--greeting-interruptible', 'yes');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('invalid --greeting-interruptible "yes"');
    expect((await cli('numbers', 'set', NUMBER, '--greeting-interruptible', '')).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.not.have.property('greetingInterruptible');
    expect((await cli('numbers', 'set', '--help')).stdout).to.include('--greeting-interruptible true|false');
  });
});
