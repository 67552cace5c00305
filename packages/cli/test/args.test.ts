import { expect } from 'chai';
import { UsageError, expectPositionals, parseArgs } from '../src/args.ts';

describe('parseArgs', () => {
  const specs = {
    greeting: { type: 'string' },
    answer: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  } as const;

  function usage(fn: () => unknown): UsageError {
    try {
      fn();
    } catch (error) {
      expect(error).to.be.instanceOf(UsageError);
      return error as UsageError;
    }
    throw new Error('expected a UsageError');
  }

  it('reads --name value, --name=value, repeated options, flags and positionals in any order', () => {
    const args = parseArgs(
      ['+15551230001', '--greeting', 'Hi', '--answer=a=b', '--json', '--answer', 'c=d'],
      specs,
      'x',
    );
    expect(args.positionals).to.deep.equal(['+15551230001']);
    expect(args.string('greeting')).to.equal('Hi');
    expect(args.strings('answer')).to.deep.equal(['a=b', 'c=d']);
    expect(args.flag('json')).to.equal(true);
    expect(args.has('greeting')).to.equal(true);
    expect(args.strings('missing')).to.equal(undefined);
  });

  it('treats everything after -- as positionals and accepts an empty value', () => {
    const args = parseArgs(['--greeting', '', '--', '--json'], specs, 'x');
    expect(args.string('greeting')).to.equal('');
    expect(args.positionals).to.deep.equal(['--json']);
    expect(parseArgs(['--greeting=-dash'], specs, 'x').string('greeting')).to.equal('-dash');
  });

  it('recognises --help and -h anywhere', () => {
    expect(parseArgs(['a', '-h'], specs, 'x').flag('help')).to.equal(true);
    expect(parseArgs(['--help', 'a'], specs, 'x').flag('help')).to.equal(true);
    expect(parseArgs(['a'], specs, 'x').flag('help')).to.equal(false);
  });

  it('names the argument in every error', () => {
    expect(usage(() => parseArgs(['--nope'], specs, 'numbers set')).message).to.equal('unknown option "--nope"');
    expect(usage(() => parseArgs(['--nope=1'], specs, 'x')).message).to.equal('unknown option "--nope"');
    expect(usage(() => parseArgs(['-x'], specs, 'x')).message).to.equal('unknown option "-x"');
    expect(usage(() => parseArgs(['--greeting'], specs, 'x')).message).to.match(/^option --greeting needs a value/);
    expect(usage(() => parseArgs(['--greeting', '--json'], specs, 'x')).message).to.match(
      /^option --greeting needs a value/,
    );
    expect(usage(() => parseArgs(['--json=yes'], specs, 'x')).message).to.equal('option --json takes no value');
    expect(usage(() => parseArgs(['--greeting', 'a', '--greeting', 'b'], specs, 'x')).message).to.equal(
      'option --greeting given more than once',
    );
    expect(usage(() => parseArgs(['--nope'], specs, 'numbers set')).command).to.equal('numbers set');
  });

  it('expectPositionals names the missing or unexpected argument', () => {
    expect(usage(() => expectPositionals(parseArgs([], specs, 'x'), ['number'], 'x')).message).to.equal(
      'missing <number>',
    );
    expect(usage(() => expectPositionals(parseArgs(['a', 'b'], specs, 'x'), ['number'], 'x')).message).to.equal(
      'unexpected argument "b"',
    );
    expect(expectPositionals(parseArgs(['a'], specs, 'x'), ['number'], 'x')).to.deep.equal(['a']);
  });
});
