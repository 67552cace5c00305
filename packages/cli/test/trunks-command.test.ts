import { expect } from 'chai';
import { newCallId } from '@voicebridge/protocol';
import { CallRecordRepository, TrunkRepository } from '@voicebridge/store';
import { type CliResult, runCliCaptured, useTestRedis } from './helpers.ts';

describe('voicebridge trunks (runCli, real Redis)', () => {
  const db = useTestRedis();
  let trunks: TrunkRepository;

  beforeEach(() => {
    trunks = new TrunkRepository(db.redis, db.keys);
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv);

  it('add stores the trunk with the password as given; show, list and --json print it masked', async () => {
    const add = await cli(
      'trunks',
      'add',
      'carrier',
      '--source',
      '203.0.113.0/24,198.51.100.7',
      '--auth-username',
      'acme',
      '--auth-password',
      'S3cret!x',
      '--trusted',
      '--max-calls',
      '20',
      '--calls-per-second',
      '2.5',
    );
    expect(add.status, add.stderr).to.equal(0);
    expect(add.stdout).to.match(/^saved trunk carrier \(configVersion 1\)\n/);
    const stored = await trunks.get('carrier');
    expect(stored).to.include({ trusted: true, maxCalls: 20, callsPerSecond: 2.5 });
    expect(stored?.sources).to.deep.equal(['203.0.113.0/24', '198.51.100.7']);
    expect(stored?.auth).to.deep.equal({ username: 'acme', password: 'S3cret!x' });
    for (const argv of [['show', 'carrier'], ['show', 'carrier', '--json'], ['list'], ['list', '--json']]) {
      const out = await cli('trunks', ...argv);
      expect(out.status).to.equal(0);
      expect(out.stdout, argv.join(' ')).to.not.include('S3cret');
    }
    expect(add.stdout).to.not.include('S3cret');
    const shown = JSON.parse((await cli('trunks', 'show', 'carrier', '--json')).stdout) as {
      auth: { password: string };
    };
    expect(shown.auth.password).to.equal('********');
  });

  it('add on an existing trunk changes only the given fields; "" removes an optional one', async () => {
    expect(
      (
        await cli(
          'trunks',
          'add',
          't1',
          '--source',
          '10.1.0.0/16',
          '--max-calls',
          '5',
          '--default-number',
          '+15551230001',
        )
      ).status,
    ).to.equal(0);
    expect((await cli('trunks', 'add', 't1', '--rtp-latching', 'sdp', '--max-calls', '')).status).to.equal(0);
    const stored = await trunks.get('t1');
    expect(stored).to.include({ rtpLatching: 'sdp', defaultNumber: '+15551230001', configVersion: 2 });
    expect(stored).to.not.have.property('maxCalls');
    expect(stored?.sources).to.deep.equal(['10.1.0.0/16']);
  });

  it('registration: a new block needs registrar, username and password; defaults expires and transport', async () => {
    const missing = await cli('trunks', 'add', 'reg', '--register-registrar', 'sip:sip.example.net');
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.match(/^voicebridge: registration needs --register-username/);
    const ok = await cli(
      'trunks',
      'add',
      'reg',
      '--register-registrar',
      'sip:sip.example.net',
      '--register-username',
      'acct',
      '--register-password',
      'pw-123',
      '--json',
    );
    expect(ok.status, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout).register).to.deep.equal({
      registrar: 'sip:sip.example.net',
      username: 'acct',
      password: '********',
      expires: 3600,
      transport: 'udp',
    });
    expect((await trunks.get('reg'))?.register?.password).to.equal('pw-123');
  });

  it('bad values are usage errors naming the flag, and write nothing', async () => {
    const cases: [string[], string][] = [
      [['bad/name', '--source', '10.0.0.1'], 'invalid <name> "bad/name"'],
      [['t', '--source', '10.0.0.1', '--source', 'nope'], 'invalid --source #2: must be a CIDR'],
      [['t'], 'invalid --source: needs at least one CIDR'],
      [
        ['t', '--source', '10.0.0.1', '--number-format', 'national'],
        'invalid --country-code: is required when numberFormat is national',
      ],
      [['t', '--source', '10.0.0.1', '--number-from', 'from'], 'invalid --number-from:'],
      [['t', '--source', '10.0.0.1', '--max-calls', 'ten'], 'invalid --max-calls "ten"'],
      [
        ['t', '--source', '10.0.0.1', '--auth-username', 'u'],
        'inbound digest needs both --auth-username and --auth-password',
      ],
      [
        ['t', '--source', '10.0.0.1', '--auth-username', 'u', '--auth-password', 'a b'],
        'invalid --auth-password: must be printable ASCII',
      ],
      [['t', '--source', '10.0.0.1', '--trusted', '--untrusted'], '--trusted and --untrusted exclude each other'],
    ];
    for (const [argv, message] of cases) {
      const result = await cli('trunks', 'add', ...argv);
      expect(result.status, argv.join(' ')).to.equal(2);
      expect(result.stderr).to.include(`voicebridge: ${message}`);
      expect(result.stderr).to.not.include('a b');
    }
    expect(await db.redis.exists(db.keys.trunksIndex())).to.equal(0);
  });

  it('remove deletes; show and remove of an unknown trunk exit 1', async () => {
    await trunks.put({ name: 'gone', sources: ['10.0.0.1'] });
    const removed = await cli('trunks', 'remove', 'gone');
    expect(removed).to.deep.include({ status: 0, stdout: 'removed trunk gone\n' });
    expect(await cli('trunks', 'remove', 'gone')).to.deep.include({
      status: 1,
      stderr: 'voicebridge: trunk gone is not configured\n',
    });
    expect((await cli('trunks', 'show', 'gone')).status).to.equal(1);
    expect((await cli('trunks', 'list')).stdout).to.equal('no trunks configured\n');
  });

  it('calls show prints the trunk a call came from, its Diversion and History-Info', async () => {
    const records = new CallRecordRepository(db.redis, db.keys);
    const callId = newCallId();
    await records.create({
      version: 1,
      callId,
      sipCallId: `div-${callId}@198.51.100.7`,
      from: 'sip:anonymous@anonymous.invalid',
      to: 'sip:+15551230001@192.0.2.10',
      number: '+15551230001',
      status: 'setup',
      invitedAtMs: Date.now(),
      trunk: 'carrier',
      diversion: ['<sip:+15559990001@carrier.example>;reason=no-answer'],
      historyInfo: ['<sip:+15559990001@carrier.example>;index=1', '<sip:+15551230001@x>;index=1.1'],
      transcript: [],
    });
    const shown = await cli('calls', 'show', callId);
    expect(shown.status, shown.stderr).to.equal(0);
    const lines = shown.stdout.split('\n');
    expect(lines).to.include.members([
      'from          sip:anonymous@anonymous.invalid',
      'trunk         carrier',
      'diversion     <sip:+15559990001@carrier.example>;reason=no-answer',
      'history-info  <sip:+15559990001@carrier.example>;index=1, <sip:+15551230001@x>;index=1.1',
    ]);
  });
});

describe('voicebridge trunks: outbound settings (runCli, real Redis)', () => {
  const db = useTestRedis();
  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv);

  it('set stores the outbound block; show prints it without the password variable value', async () => {
    process.env['VB_SECRET_CARRIER_PW'] = 'never-printed';
    after(() => delete process.env['VB_SECRET_CARRIER_PW']);
    const out = await cli(
      'trunks',
      'set',
      'carrier',
      '--source',
      '127.0.0.1',
      '--country-code',
      '1',
      '--outbound-uri',
      'sip:127.0.0.1:5070;transport=tcp',
      '--outbound-username',
      'acme',
      '--outbound-password-env',
      'VB_SECRET_CARRIER_PW',
      '--caller-id',
      '+15550100',
      '--caller-id',
      '+15550101',
      '--outbound-allow',
      '+1555*',
      '--outbound-max-calls',
      '4',
      '--outbound-cps',
      '2',
      '--daily-max-calls',
      '100',
      '--daily-max-minutes',
      '60',
      '--outbound-session-expires',
      '600',
    );
    expect(out.status, out.stderr).to.equal(0);
    const stored = await new TrunkRepository(db.redis, db.keys).get('carrier');
    expect(stored?.outbound).to.deep.equal({
      uri: 'sip:127.0.0.1:5070;transport=tcp',
      username: 'acme',
      passwordEnv: 'VB_SECRET_CARRIER_PW',
      callerIds: ['+15550100', '+15550101'],
      allow: ['+1555*'],
      maxCalls: 4,
      callsPerSecond: 2,
      dailyMaxCalls: 100,
      dailyMaxMinutes: 60,
      sessionExpiresS: 600,
    });
    expect(out.stdout).to.match(
      /outbound\s+sip:127\.0\.0\.1:5070;transport=tcp, as acme \(password from \$VB_SECRET_CARRIER_PW\)/,
    );
    expect(out.stdout).to.not.include('never-printed');
    const orphan = await cli('trunks', 'set', 'carrier', '--clear-sources', '--no-outbound');
    expect(orphan.stderr).to.match(/needs at least one CIDR unless auth, register or outbound is set/);
    const cleared = await cli('trunks', 'set', 'carrier', '--no-outbound');
    expect(cleared.status, cleared.stderr).to.equal(0);
    expect((await new TrunkRepository(db.redis, db.keys).get('carrier'))?.outbound).to.equal(undefined);
  });

  it('a bad outbound value is refused naming its flag, and nothing is stored', async () => {
    const cases: [string[], RegExp][] = [
      [['--caller-id', '+15550100', '--caller-id', '5550101'], /invalid --caller-id #2: must be E\.164/],
      [['--outbound-uri', 'http://carrier.example'], /invalid --outbound-uri: must be sip:HOST/],
      [['--outbound-uri', 'sip:carrier.example', '--outbound-allow', '+1*555'], /invalid --outbound-allow #1/],
      [['--outbound-uri', 'sip:carrier.example', '--outbound-cps', 'fast'], /invalid --outbound-cps "fast"/],
      [['--caller-id', '+15550100'], /invalid --outbound-uri: is required unless the trunk registers/],
      [
        ['--outbound-uri', 'sip:carrier.example', '--outbound-number-format', 'national'],
        /invalid --outbound-number-format: national needs the trunk country code/,
      ],
      [
        ['--outbound-uri', 'sip:carrier.example', '--outbound-username', 'u', '--outbound-password-env', 'REDIS_URL'],
        /invalid --outbound-password-env: environment variable REDIS_URL is not on the agent's secret allow-list/,
      ],
      [['--no-outbound', '--caller-id', '+15550100'], /--no-outbound excludes the outbound options/],
    ];
    for (const [flags, message] of cases) {
      const out = await cli('trunks', 'add', 'bad', ...flags);
      expect(out.status, flags.join(' ')).to.equal(2);
      expect(out.stderr, flags.join(' ')).to.match(message);
    }
    expect(await new TrunkRepository(db.redis, db.keys).get('bad')).to.equal(undefined);
  });
});
