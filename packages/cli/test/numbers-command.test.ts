import { expect } from 'chai';
import { NumberRepository } from '@voicebridge/store';
import { type CliResult, runCliCaptured, useTestRedis } from './helpers.ts';

const NUMBER = '+15551230001';

describe('voicebridge numbers (runCli, real Redis)', () => {
  const db = useTestRedis();
  let numbers: NumberRepository;

  beforeEach(() => {
    numbers = new NumberRepository(db.redis, db.keys);
  });

  const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(db, argv);

  it('set creates a scripted, enabled number and get --json prints exactly what is stored', async () => {
    const set = await cli('numbers', 'set', NUMBER, '--greeting', 'Hello', '--answer', 'hours=We open at nine');
    expect(set.status).to.equal(0);
    expect(set.stdout).to.match(/^saved \+15551230001 \(configVersion 1\)\n/);
    const stored = await numbers.get(NUMBER);
    expect(stored).to.include({ version: 2, enabled: true, configVersion: 1 });
    expect(stored?.agent).to.deep.equal({
      kind: 'scripted',
      greeting: 'Hello',
      answers: [{ keyword: 'hours', text: 'We open at nine' }],
    });
    const get = await cli('numbers', 'get', NUMBER, '--json');
    expect(get.status).to.equal(0);
    expect(JSON.parse(get.stdout)).to.deep.equal(stored);
  });

  it('set on an existing number changes only the given fields; --answer replaces the list; "" removes', async () => {
    await numbers.put({
      number: NUMBER,
      agent: { kind: 'scripted', greeting: 'Hi', fallback: 'Pardon?', answers: [{ keyword: 'a', text: 'A' }] },
      engines: { tts: { voice: 'slt' } },
    });
    expect((await cli('numbers', 'set', NUMBER, '--disabled', '--answer', 'b=B', '--answer', 'c = C')).status).to.equal(
      0,
    );
    expect((await cli('numbers', 'set', NUMBER, '--voice', '')).status).to.equal(0);
    const stored = await numbers.get(NUMBER);
    expect(stored).to.include({ enabled: false, configVersion: 3 });
    expect(stored?.engines?.tts).to.not.have.property('voice');
    expect(stored?.agent).to.deep.equal({
      kind: 'scripted',
      greeting: 'Hi',
      fallback: 'Pardon?',
      answers: [
        { keyword: 'b', text: 'B' },
        { keyword: 'c', text: 'C' },
      ],
    });
    expect((await cli('numbers', 'set', NUMBER, '--clear-answers', '--enabled')).status).to.equal(0);
    expect(await numbers.get(NUMBER)).to.deep.include({ enabled: true, configVersion: 4 });
    expect((await numbers.get(NUMBER))?.agent).to.deep.include({ kind: 'scripted', answers: [] });
    // Switching kind keeps what the new kind also has (the greeting) and drops the rest.
    expect((await cli('numbers', 'set', NUMBER, '--agent', 'echo')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent).to.deep.equal({ kind: 'echo', greeting: 'Hi' });
  });

  it('refuses a number that is not E.164, naming the argument, and writes nothing', async () => {
    for (const sub of ['set', 'get', 'delete']) {
      const result = await cli('numbers', sub, '12ab');
      expect(result.status, sub).to.equal(2);
      expect(result.stderr).to.equal(
        `voicebridge: invalid <number> "12ab": must be E.164 (+ then 7 to 15 digits)\nRun "voicebridge numbers ${sub} --help" for usage.\n`,
      );
    }
    expect(await db.redis.exists(db.keys.numbersIndex())).to.equal(0);
  });

  it('exits 2 naming every bad flag or value', async () => {
    const cases: [string[], string][] = [
      [
        ['numbers', 'set', NUMBER, '--agent', 'gpt'],
        'invalid --agent "gpt": must be one of echo, scripted, llm, websocket, realtime',
      ],
      [['numbers', 'set', NUMBER, '--answer', 'no-equals'], 'invalid --answer "no-equals": must be KEYWORD=TEXT'],
      [['numbers', 'set', NUMBER, '--answer', '=text'], 'invalid --answer "=text"'],
      [
        ['numbers', 'set', NUMBER, '--answer', 'a=A', '--clear-answers'],
        '--answer and --clear-answers exclude each other',
      ],
      [['numbers', 'set', NUMBER, '--enabled', '--disabled'], '--enabled and --disabled exclude each other'],
      [['numbers', 'set', NUMBER, '--greeting', 'x'.repeat(1001)], `invalid --greeting "${'x'.repeat(1001)}": Too big`],
      [
        ['numbers', 'set', NUMBER, '--agent', 'echo', '--answer', 'a=b'],
        "--answer applies to agent scripted; this number's agent is echo",
      ],
      [
        ['numbers', 'set', NUMBER, '--prompt', 'Hi'],
        "--prompt applies to agent llm|realtime; this number's agent is scripted",
      ],
      [['numbers', 'set', NUMBER, '--answer', `${'k'.repeat(65)}=t`], 'invalid --answer #1 keyword: Too big'],
      [['numbers', 'set', NUMBER, '--greeting'], 'option --greeting needs a value'],
      [['numbers', 'set', NUMBER, '--colour', 'red'], 'unknown option "--colour"'],
      [['numbers', 'set'], 'missing <number>'],
      [['numbers', 'get', NUMBER, 'extra'], 'unexpected argument "extra"'],
      [['numbers', 'list', '--json=1'], 'option --json takes no value'],
      [['numbers', 'rename'], 'unknown command "numbers rename"'],
      [['numbers'], 'missing command after "numbers"'],
      [['phone'], 'unknown command "phone"'],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(...argv);
      expect(result.status, argv.join(' ')).to.equal(2);
      expect(result.stderr, argv.join(' ')).to.include(`voicebridge: ${message}`);
      expect(result.stdout).to.equal('');
    }
    expect(await numbers.list()).to.deep.equal([]);
  });

  it('set --agent llm stores the model config with the key variable NAME; get shows it; later flags merge', async () => {
    const set = await cli(
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'llm',
      '--prompt',
      'You are a dentist receptionist.',
      '--llm-base-url',
      'http://localhost:11434/v1',
      '--llm-model',
      'llama3.2',
      '--llm-api-key-env',
      'VB_SECRET_OLLAMA_KEY',
      '--llm-temperature',
      '0.4',
    );
    expect(set.status, set.stderr).to.equal(0);
    const stored = await numbers.get(NUMBER);
    expect(stored?.agent).to.deep.include({ kind: 'llm', prompt: 'You are a dentist receptionist.' });
    expect(stored?.agent).to.have.property('llm').that.deep.equals({
      baseUrl: 'http://localhost:11434/v1',
      model: 'llama3.2',
      apiKeyEnv: 'VB_SECRET_OLLAMA_KEY',
      temperature: 0.4,
    });
    expect((await cli('numbers', 'get', NUMBER)).stdout).to.match(
      /^llm\s+http:\/\/localhost:11434\/v1, model llama3\.2, key \$VB_SECRET_OLLAMA_KEY, temperature 0\.4$/m,
    );

    expect(
      (
        await cli(
          'numbers',
          'set',
          NUMBER,
          '--llm-model',
          'qwen2.5',
          '--llm-max-tokens',
          '200',
          '--llm-temperature',
          '',
        )
      ).status,
    ).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent)
      .to.have.property('llm')
      .that.deep.equals({
        baseUrl: 'http://localhost:11434/v1',
        model: 'qwen2.5',
        apiKeyEnv: 'VB_SECRET_OLLAMA_KEY',
        maxTokens: 200,
      });
    expect((await cli('numbers', 'set', NUMBER, '--llm-api-key-env', '')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent)
      .to.have.property('llm')
      .that.not.have.property('apiKeyEnv');
  });

  it('refuses bad --llm-* values naming the flag, never echoing a pasted key', async () => {
    const base = [
      'numbers',
      'set',
      NUMBER,
      '--agent',
      'llm',
      '--llm-base-url',
      'https://api.openai.com/v1',
      '--llm-model',
      'gpt-4o-mini',
    ];
    const cases: [string[], string][] = [
      [['numbers', 'set', NUMBER, '--agent', 'llm'], '--agent llm needs --llm-base-url and --llm-model'],
      [
        ['numbers', 'set', NUMBER, '--llm-temperature', '0.5'],
        "--llm-temperature applies to agent llm; this number's agent is scripted",
      ],
      [
        ['numbers', 'set', NUMBER, '--agent', 'llm', '--llm-temperature', '0.5'],
        '--agent llm needs --llm-base-url and --llm-model',
      ],
      [
        [...base, '--llm-temperature', 'warm'],
        'invalid --llm-temperature "warm": Invalid input: expected number, received string',
      ],
      [[...base, '--llm-temperature', '2.5'], 'invalid --llm-temperature "2.5": Too big: expected number to be <=2'],
      [
        [...base, '--llm-max-tokens', '1.5'],
        'invalid --llm-max-tokens "1.5": Invalid input: expected int, received number',
      ],
      [
        [...base.slice(0, 6), 'ftp://example.com/v1', ...base.slice(7)],
        'invalid --llm-base-url: must be an http(s) URL without credentials',
      ],
      [
        [...base.slice(0, 6), 'https://user:pw@example.com/v1', ...base.slice(7)],
        'invalid --llm-base-url: must be an http(s) URL',
      ],
      [[...base.slice(0, 8), ''], 'invalid --llm-model: cannot be removed; --agent llm needs --llm-model'],
      [[...base.slice(0, 6), 'https://api.openai.com/v1'], '--agent llm needs --llm-model'],
      [
        [...base, '--llm-api-key-env', 'sk-abcdef0123456789'],
        'invalid --llm-api-key-env: must be an environment variable name',
      ],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(...argv);
      expect(result.status, argv.join(' ')).to.equal(2);
      expect(result.stderr, argv.join(' ')).to.include(`voicebridge: ${message}`);
      expect(result.stderr).to.not.include('sk-abcdef');
      expect(result.stderr).to.not.include('pw@');
    }
    expect(await numbers.list()).to.deep.equal([]);
  });

  it('set --answer-start / --partial-stable-ms store when an llm turn starts its model request; bad values name the flag', async () => {
    const llm = ['--agent', 'llm', '--llm-base-url', 'http://localhost:11434/v1', '--llm-model', 'llama3.2'];
    const set = await cli('numbers', 'set', NUMBER, ...llm, '--answer-start', 'final', '--partial-stable-ms', '300');
    expect(set.status, set.stderr).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent).to.deep.include({ answerStart: 'final', partialStableMs: 300 });
    for (const [args, message] of [
      [
        ['--answer-start', 'early'],
        'invalid --answer-start "early": Invalid option: expected one of "partial"|"final"',
      ],
      [['--partial-stable-ms', '20'], 'invalid --partial-stable-ms "20": Too small: expected number to be >=50'],
      [['--partial-stable-ms', 'soon'], 'invalid --partial-stable-ms "soon": Invalid input: expected number'],
    ] as const) {
      const bad = await cli('numbers', 'set', NUMBER, ...args);
      expect(bad.status, args.join(' ')).to.equal(2);
      expect(bad.stderr).to.include(message);
    }
    expect((await cli('numbers', 'set', NUMBER, '--answer-start', '', '--partial-stable-ms', '')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent).to.not.have.any.keys('answerStart', 'partialStableMs');
    const scripted = await cli('numbers', 'set', '+15551230002', '--answer-start', 'final');
    expect(scripted.status).to.equal(2);
    expect(scripted.stderr).to.include("--answer-start applies to agent llm; this number's agent is scripted");
  });

  it('set --record turns recording on (30 days unless --retention-days), --no-record off keeping the days; bad values name the flag', async () => {
    expect((await cli('numbers', 'set', NUMBER, '--record')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.recording).to.deep.equal({ enabled: true, retentionDays: 30 });
    expect((await cli('numbers', 'set', NUMBER, '--retention-days', '7')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.recording).to.deep.equal({ enabled: true, retentionDays: 7 });
    expect((await cli('numbers', 'get', NUMBER)).stdout).to.match(/recording\s+on, kept 7 days/);
    expect((await cli('numbers', 'set', NUMBER, '--no-record')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.recording).to.deep.equal({ enabled: false, retentionDays: 7 });
    for (const [args, message] of [
      [['--retention-days', '0'], 'invalid --retention-days "0": Too small: expected number to be >=1'],
      [['--retention-days', '2.5'], 'invalid --retention-days "2.5": Invalid input: expected int, received number'],
      [['--record', '--no-record'], '--record and --no-record exclude each other'],
    ] as const) {
      const bad = await cli('numbers', 'set', NUMBER, ...args);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.include(message);
    }
    expect((await numbers.get(NUMBER))?.recording).to.deep.equal({ enabled: false, retentionDays: 7 });
  });

  it('set --max-call-duration / --no-input-timeout store the call guards ("" removes them); bad values name the flag', async () => {
    expect(
      (await cli('numbers', 'set', NUMBER, '--max-call-duration', '600', '--no-input-timeout', '15')).status,
    ).to.equal(0);
    expect(await numbers.get(NUMBER)).to.deep.include({ maxCallDurationS: 600, noInputTimeoutS: 15 });
    const shown = (await cli('numbers', 'get', NUMBER)).stdout;
    expect(shown).to.match(/^max duration +600 s$/m);
    expect(shown).to.match(/^no input +15 s$/m);
    expect((await cli('numbers', 'set', NUMBER, '--no-input-timeout', '')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.noInputTimeoutS).to.equal(undefined);
    for (const [args, message] of [
      [['--max-call-duration', '0'], 'invalid --max-call-duration "0": Too small: expected number to be >=1'],
      [['--no-input-timeout', '1.5'], 'invalid --no-input-timeout "1.5": Invalid input: expected int'],
      [['--no-input-timeout', '3601'], 'invalid --no-input-timeout "3601": Too big: expected number to be <=3600'],
    ] as const) {
      const bad = await cli('numbers', 'set', NUMBER, ...args);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.include(message);
    }
    expect((await numbers.get(NUMBER))?.maxCallDurationS).to.equal(600);
  });

  it('set --webhook-tools stores HTTP tools for the llm agent, validated per tool naming the field; "" removes them', async () => {
    const tool = {
      name: 'lookup_order',
      description: 'Finds an order.',
      parameters: { type: 'object', properties: {} },
      url: 'https://api.example.com/orders',
    };
    const llm = ['--agent', 'llm', '--llm-base-url', 'http://127.0.0.1:11434/v1', '--llm-model', 'llama3.2'];
    const set = await cli('numbers', 'set', NUMBER, ...llm, '--webhook-tools', JSON.stringify([tool]));
    expect(set.status, set.stderr).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent)
      .to.have.property('tools')
      .that.deep.equals([{ ...tool, timeoutMs: 5000 }]);
    expect((await cli('numbers', 'get', NUMBER)).stdout).to.match(
      /^tools +lookup_order → https:\/\/api\.example\.com\/orders \(5000 ms\)$/m,
    );
    for (const [value, message] of [
      ['{', 'invalid --webhook-tools: not JSON'],
      ['{}', 'invalid --webhook-tools: must be a JSON array'],
      [JSON.stringify([{ ...tool, name: 'end_call' }]), 'invalid --webhook-tools #1 name: is a built-in tool name'],
      [JSON.stringify([{ ...tool, url: 'ftp://x' }]), 'invalid --webhook-tools #1 url'],
      [JSON.stringify([{ ...tool, parameters: { type: 'string' } }]), 'invalid --webhook-tools #1 parameters'],
    ] as const) {
      const bad = await cli('numbers', 'set', NUMBER, '--webhook-tools', value);
      expect(bad.status, value).to.equal(2);
      expect(bad.stderr, value).to.include(message);
    }
    expect((await cli('numbers', 'set', NUMBER, '--webhook-tools', '')).status).to.equal(0);
    expect((await numbers.get(NUMBER))?.agent).to.not.have.property('tools');
  });

  it('list prints a table or --json; delete exits 1 for a number not configured', async () => {
    expect((await cli('numbers', 'list')).stdout).to.equal('no numbers configured\n');
    await numbers.put({ number: '+15551230002', agent: { kind: 'echo' } });
    await numbers.put({ number: NUMBER, agent: { kind: 'scripted', greeting: 'Hello' } });
    const table = (await cli('numbers', 'list')).stdout.split('\n');
    expect(table[0]).to.match(/^NUMBER\s+AGENT\s+ENABLED\s+VERSION\s+UPDATED\s+ANSWERS\s+GREETING$/);
    expect(table[1]).to.match(/^\+15551230001\s+scripted\s+yes\s+1\s+\d{4}-\d\d-\d\dT\S+Z\s+0\s+Hello$/);
    expect(table[2]).to.match(/^\+15551230002\s+echo\s+yes\s+1\s+\S+\s+-\s+-$/);
    expect(JSON.parse((await cli('numbers', 'list', '--json')).stdout)).to.deep.equal(await numbers.list());

    expect(await cli('numbers', 'delete', NUMBER)).to.deep.equal({
      status: 0,
      stdout: `deleted ${NUMBER}\n`,
      stderr: '',
    });
    const again = await cli('numbers', 'delete', NUMBER);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.equal(`voicebridge: number ${NUMBER} is not configured\n`);
    expect((await cli('numbers', 'get', NUMBER)).status).to.equal(1);
  });

  it('get shows a corrupt stored config as an error naming the key, exit 1', async () => {
    await db.redis.set(db.keys.number(NUMBER), '{"version":1}');
    const result = await cli('numbers', 'get', NUMBER);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(`corrupt number config at key ${db.keys.number(NUMBER)}`);
  });

  it('prints help for every command on stdout with exit 0', async () => {
    for (const argv of [
      ['--help'],
      ['help'],
      ['numbers', '--help'],
      ['numbers', 'set', '--help'],
      ['numbers', 'get', '-h'],
      ['numbers', 'list', '--help'],
      ['numbers', 'delete', '--help'],
      ['calls', '--help'],
      ['calls', 'list', '--help'],
      ['calls', 'show', '--help'],
    ]) {
      const result = await cli(...argv);
      expect(result.status, argv.join(' ')).to.equal(0);
      expect(result.stdout, argv.join(' ')).to.match(/^Usage: voicebridge/);
      expect(result.stderr).to.equal('');
    }
    const bare = await cli();
    expect(bare.status).to.equal(2);
    expect(bare.stderr).to.match(/^Usage: voicebridge/);
  });

  it("numbers set --help states each option's constraint as the config schema has it", async () => {
    const help = (await cli('numbers', 'set', '--help')).stdout.replace(/\n {26}/g, ' ');
    expect(help).to.match(
      /--retention-days N +delete recordings N days after the call \(a whole number, 1 to 3650; default 30;/,
    );
    expect(help).to.match(/--llm-temperature N +sampling temperature \(a number, 0 to 2; agent llm;/);
    expect(help).to.match(/--fallback TEXT +.*\(up to 1000 characters; agent scripted;/);
    expect(help).to.match(/--agent echo\|scripted\|llm\|websocket\|realtime +the agent kind/);
  });
});
