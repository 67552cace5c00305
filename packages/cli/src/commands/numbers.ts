import { AGENT_TYPES, E164_PATTERN } from '@voicebridge/protocol';
import type { AgentType, KeywordAnswer, NumberConfig } from '@voicebridge/protocol';
import { NumberRepository, numberConfigInputIssues } from '@voicebridge/store';
import type { ConfigIssue, NumberConfigInput } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import { json } from '../cli-context.ts';
import type { CliContext } from '../cli-context.ts';
import { formatNumberConfig, formatNumberTable } from '../format.ts';

export const NUMBERS_HELP = `Usage: voicebridge numbers <command>

Configure which agent answers a dialled number.

Commands:
  set <number> [options]     create or update a number (only the given fields change)
  get <number> [--json]      show one number's config
  list [--json]              list configured numbers
  delete <number>            remove a number (calls to it get 404)

Run "voicebridge numbers <command> --help" for a command's options.
`;

const SET_HELP = `Usage: voicebridge numbers set <number> [options]

Creates <number> or updates the given fields of an existing one; every write
increments its configVersion. <number> is E.164: + then 7 to 15 digits.

Options:
  --agent echo|scripted   the agent type (a new number defaults to scripted)
  --greeting TEXT         what the agent says on answer ("" removes it)
  --answer KEYWORD=TEXT   scripted reply when the caller says KEYWORD; repeat
                          for more; replaces the whole list when given
  --clear-answers         remove all keyword answers
  --fallback TEXT         reply when no keyword matched ("" removes it)
  --prompt TEXT           system prompt for LLM agents ("" removes it)
  --voice NAME            TTS voice ("" removes it)
  --enabled | --disabled  accept or refuse calls to this number (new: enabled)
  --json                  print the saved config as JSON
  -h, --help              show this help
`;

const GET_HELP = `Usage: voicebridge numbers get <number> [--json]

Shows the config of <number>. Exit status 1 when it is not configured.
`;

const LIST_HELP = `Usage: voicebridge numbers list [--json]

Lists every configured number, sorted.
`;

const DELETE_HELP = `Usage: voicebridge numbers delete <number>

Removes <number>. Exit status 1 when it was not configured.
`;

const TEXT_FIELDS = ['greeting', 'fallback', 'prompt', 'voice'] as const;

export async function numbersCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) throw new UsageError('missing command after "numbers"', 'numbers');
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    ctx.stdout.write(NUMBERS_HELP);
    return 0;
  }
  const repo = new NumberRepository(ctx.redis, ctx.keys);
  switch (sub) {
    case 'set':
      return numbersSet(rest, ctx, repo);
    case 'get':
      return numbersGet(rest, ctx, repo);
    case 'list':
      return numbersList(rest, ctx, repo);
    case 'delete':
      return numbersDelete(rest, ctx, repo);
    default:
      throw new UsageError(`unknown command "numbers ${sub}"`, 'numbers');
  }
}

function numberArgument(value: string, command: string): string {
  if (!E164_PATTERN.test(value)) {
    throw new UsageError(`invalid <number> ${JSON.stringify(value)}: must be E.164 (+ then 7 to 15 digits)`, command);
  }
  return value;
}

async function numbersSet(argv: readonly string[], ctx: CliContext, repo: NumberRepository): Promise<number> {
  const command = 'numbers set';
  const args = parseArgs(
    argv,
    {
      agent: { type: 'string' },
      greeting: { type: 'string' },
      answer: { type: 'string', multiple: true },
      'clear-answers': { type: 'boolean' },
      fallback: { type: 'string' },
      prompt: { type: 'string' },
      voice: { type: 'string' },
      enabled: { type: 'boolean' },
      disabled: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    command,
  );
  if (args.flag('help')) {
    ctx.stdout.write(SET_HELP);
    return 0;
  }
  const [raw] = expectPositionals(args, ['number'], command) as [string];
  const number = numberArgument(raw, command);
  const agent = agentOption(args, command);
  const answers = answersOption(args, command);
  if (args.flag('enabled') && args.flag('disabled')) {
    throw new UsageError('--enabled and --disabled exclude each other', command);
  }

  const saved = await repo.update(number, (current) => {
    const next: NumberConfigInput = current === undefined ? { number, agent: 'scripted' } : withoutManaged(current);
    if (agent !== undefined) next.agent = agent;
    for (const field of TEXT_FIELDS) {
      const value = args.string(field);
      if (value === '') delete next[field];
      else if (value !== undefined) next[field] = value;
    }
    if (answers !== undefined) next.answers = answers;
    if (args.flag('enabled')) next.enabled = true;
    if (args.flag('disabled')) next.enabled = false;
    const issue = numberConfigInputIssues(next)[0];
    if (issue !== undefined) throw new UsageError(describeIssue(issue), command);
    return next;
  });
  if (args.flag('json')) ctx.stdout.write(json(saved));
  else ctx.stdout.write(`saved ${saved.number} (configVersion ${saved.configVersion})\n${formatNumberConfig(saved)}`);
  return 0;
}

function agentOption(args: ParsedArgs, command: string): AgentType | undefined {
  const value = args.string('agent');
  if (value === undefined) return undefined;
  const agent = AGENT_TYPES.find((a) => a === value);
  if (agent === undefined) {
    throw new UsageError(`invalid --agent ${JSON.stringify(value)}: must be one of ${AGENT_TYPES.join(', ')}`, command);
  }
  return agent;
}

function answersOption(args: ParsedArgs, command: string): KeywordAnswer[] | undefined {
  const values = args.strings('answer');
  if (values !== undefined && args.flag('clear-answers')) {
    throw new UsageError('--answer and --clear-answers exclude each other', command);
  }
  if (args.flag('clear-answers')) return [];
  return values?.map((value) => {
    const eq = value.indexOf('=');
    const keyword = eq > 0 ? value.slice(0, eq).trim() : '';
    const text = eq > 0 ? value.slice(eq + 1).trim() : '';
    if (keyword === '' || text === '') {
      throw new UsageError(`invalid --answer ${JSON.stringify(value)}: must be KEYWORD=TEXT, both non-empty`, command);
    }
    return { keyword, text };
  });
}

function withoutManaged(config: NumberConfig): NumberConfigInput {
  const { version: _v, configVersion: _c, updatedAtMs: _u, ...input } = config;
  return input;
}

/** Names the flag that set the failing field: `invalid --greeting: Too big: ...`. */
function describeIssue(issue: ConfigIssue): string {
  const [field, index, sub] = issue.path;
  if (field === 'answers' && typeof index === 'number') {
    return `invalid --answer #${index + 1}${sub === undefined ? '' : ` ${String(sub)}`}: ${issue.message}`;
  }
  const name = field === 'number' ? '<number>' : field === undefined ? 'config' : `--${String(field)}`;
  return `invalid ${name}: ${issue.message}`;
}

async function numbersGet(argv: readonly string[], ctx: CliContext, repo: NumberRepository): Promise<number> {
  const command = 'numbers get';
  const args = parseArgs(argv, { json: { type: 'boolean' } }, command);
  if (args.flag('help')) {
    ctx.stdout.write(GET_HELP);
    return 0;
  }
  const [raw] = expectPositionals(args, ['number'], command) as [string];
  const number = numberArgument(raw, command);
  const config = await repo.get(number);
  if (config === undefined) {
    ctx.stderr.write(`voicebridge: number ${number} is not configured\n`);
    return 1;
  }
  ctx.stdout.write(args.flag('json') ? json(config) : formatNumberConfig(config));
  return 0;
}

async function numbersList(argv: readonly string[], ctx: CliContext, repo: NumberRepository): Promise<number> {
  const command = 'numbers list';
  const args = parseArgs(argv, { json: { type: 'boolean' } }, command);
  if (args.flag('help')) {
    ctx.stdout.write(LIST_HELP);
    return 0;
  }
  expectPositionals(args, [], command);
  const configs = await repo.list();
  ctx.stdout.write(args.flag('json') ? json(configs) : formatNumberTable(configs));
  return 0;
}

async function numbersDelete(argv: readonly string[], ctx: CliContext, repo: NumberRepository): Promise<number> {
  const command = 'numbers delete';
  const args = parseArgs(argv, {}, command);
  if (args.flag('help')) {
    ctx.stdout.write(DELETE_HELP);
    return 0;
  }
  const [raw] = expectPositionals(args, ['number'], command) as [string];
  const number = numberArgument(raw, command);
  if (!(await repo.delete(number))) {
    ctx.stderr.write(`voicebridge: number ${number} is not configured\n`);
    return 1;
  }
  ctx.stdout.write(`deleted ${number}\n`);
  return 0;
}
