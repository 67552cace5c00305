import { AGENT_KINDS, E164_PATTERN, numberConfigFieldInfo, ttsVoiceProblem } from '@voicebridge/protocol';
import type { AgentKindName, KeywordAnswer } from '@voicebridge/protocol';
import { NumberRepository, numberConfigInputIssues } from '@voicebridge/store';
import type { NumberConfigInput } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import type { OptionSpecs, ParsedArgs } from '../args.ts';
import { json } from '../cli-context.ts';
import { printedHelp, runCommandGroup, withoutManaged } from './command-group.ts';
import { numbersCheck } from './number-check.ts';
import type { CliContext } from '../cli-context.ts';
import { formatNumberConfig, formatNumberTable } from '../format.ts';
import {
  FIELD_FLAGS,
  checkKind,
  describeConstraint,
  describeIssues,
  fieldFlagsHelp,
  fieldInfoOf,
  flagValue,
  formatOption,
} from './number-flags.ts';
import {
  outboundRulesOf,
  resolvedOutboundProblems,
  staticOutboundProblems,
  urlsGiven,
} from './number-outbound-check.ts';
import { websocketHeadersOption, websocketParamsOption } from './websocket-flags.ts';

export const NUMBERS_HELP = `Usage: voicebridge numbers <command>

Configure which agent answers a dialled number.

Commands:
  set <number> [options]     create or update a number (only the given fields change)
  get <number> [--json]      show one number's config
  check <number>             ask a live agent whether it would answer the number
  list [--json]              list configured numbers
  delete <number>            remove a number (calls to it get 404)

Run "voicebridge numbers <command> --help" for a command's options.
`;

const SET_HELP = `Usage: voicebridge numbers set <number> [options]

Creates <number> or updates the given fields of an existing one; every write
increments its configVersion. <number> is E.164: + then 7 to 15 digits.
A flag for a field of another agent kind is refused; --agent switches the kind
(settings the new kind shares, like the greeting, are kept).

Options:
${formatOption(`--agent ${fieldInfoOf(['agent', 'kind']).options?.join('|')}`, 'the agent kind (a new number is scripted)')}${fieldFlagsHelp()}${formatOption('--answer KEYWORD=TEXT', 'scripted reply when the caller says KEYWORD; repeat for more; replaces the whole list when given')}${formatOption('--clear-answers', 'remove all keyword answers')}${formatOption('--webhook-tools JSON', 'HTTP tools for the llm agent\'s model, a JSON array of {name, description, parameters, url, timeoutMs}; "" removes them')}${formatOption('--websocket-param NAME=VALUE', 'websocket: a custom parameter the bot gets in start.customParameters (at most 20; from_number, to_number, callId, sipCallId are always sent); repeat for more; replaces them all when given; "" removes them')}${formatOption('--websocket-header NAME=VAR', 'websocket: an upgrade header whose value is the agent worker\'s variable VAR (on AGENT_SECRET_ENV), never stored; repeat for more; replaces them all when given; "" removes them')}${formatOption('--transfer-target T', 'where the agent may transfer calls (transfer_call): a number or sip:/sips:/tel: URI, * matches anything; repeat for more; replaces the whole list when given; "" removes them')}${formatOption('--record | --no-record', "record calls as stereo WAV (caller left, agent right) under the media worker's RECORDINGS_DIR, or stop recording")}${formatOption('--events-include-transcript | --no-events-include-transcript', 'put caller and agent text in call.turn and call.ended events (default: times and counts only)')}${formatOption('--no-events', 'stop sending call events (removes the events block)')}${formatOption('--insecure | --no-insecure', "let this number's URLs use plain http/ws to hosts other than localhost (default: https/wss only; see docs/security.md)")}${formatOption('--enabled | --disabled', 'accept or refuse calls to this number (new: enabled)')}${formatOption('--json', 'print the saved config as JSON')}${formatOption('-h, --help', 'show this help')}`;

const GET_HELP = `Usage: voicebridge numbers get <number> [--json]

Shows the config of <number>. Exit status 1 when it is not configured.
`;

const LIST_HELP = `Usage: voicebridge numbers list [--json]

Lists every configured number, sorted.
`;

const DELETE_HELP = `Usage: voicebridge numbers delete <number>

Removes <number>. Exit status 1 when it was not configured.
`;

export function numbersCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const repo = (): NumberRepository => new NumberRepository(ctx.redis, ctx.keys);
  return runCommandGroup('numbers', NUMBERS_HELP, argv, ctx, {
    set: (rest) => numbersSet(rest, ctx, repo()),
    get: (rest) => numbersGet(rest, ctx, repo()),
    check: (rest) => numbersCheck(rest, ctx, repo()),
    list: (rest) => numbersList(rest, ctx, repo()),
    delete: (rest) => numbersDelete(rest, ctx, repo()),
  });
}

function numberArgument(value: string, command: string): string {
  if (!E164_PATTERN.test(value)) {
    throw new UsageError(`invalid <number> ${JSON.stringify(value)}: must be E.164 (+ then 7 to 15 digits)`, command);
  }
  return value;
}

const VOICE_PATH = ['engines', 'tts', 'voice'];

const SET_OPTIONS: OptionSpecs = {
  ...Object.fromEntries(FIELD_FLAGS.map(({ flag }) => [flag, { type: 'string' } as const])),
  agent: { type: 'string' },
  answer: { type: 'string', multiple: true },
  'clear-answers': { type: 'boolean' },
  'webhook-tools': { type: 'string' },
  'websocket-param': { type: 'string', multiple: true },
  'websocket-header': { type: 'string', multiple: true },
  'transfer-target': { type: 'string', multiple: true },
  enabled: { type: 'boolean' },
  disabled: { type: 'boolean' },
  record: { type: 'boolean' },
  'no-record': { type: 'boolean' },
  'events-include-transcript': { type: 'boolean' },
  'no-events-include-transcript': { type: 'boolean' },
  'no-events': { type: 'boolean' },
  insecure: { type: 'boolean' },
  'no-insecure': { type: 'boolean' },
  json: { type: 'boolean' },
};

async function numbersSet(argv: readonly string[], ctx: CliContext, repo: NumberRepository): Promise<number> {
  const command = 'numbers set';
  const args = parseArgs(argv, SET_OPTIONS, command);
  if (printedHelp(args, ctx, SET_HELP)) return 0;
  const [raw] = expectPositionals(args, ['number'], command) as [string];
  const number = numberArgument(raw, command);
  const kind = kindOption(args, command);
  const answers = answersOption(args, command);
  const webhookTools = webhookToolsOption(args, command);
  const streamParameters = websocketParamsOption(args, command);
  const streamHeaders = websocketHeadersOption(args, command);
  const transferTargets = args.strings('transfer-target')?.filter((target) => target !== '');
  for (const [a, b] of [
    ['enabled', 'disabled'],
    ['record', 'no-record'],
    ['insecure', 'no-insecure'],
    ['events-include-transcript', 'no-events-include-transcript'],
  ] as const) {
    if (args.flag(a) && args.flag(b)) throw new UsageError(`--${a} and --${b} exclude each other`, command);
  }
  const given = new Map<string, string>();
  for (const { flag } of FIELD_FLAGS) {
    const value = args.string(flag);
    if (value !== undefined) given.set(flag, value);
  }
  const eventsFlag = [...given.keys(), 'events-include-transcript'].find((f) => f.startsWith('events-') && args.has(f));
  if (args.flag('no-events') && eventsFlag !== undefined)
    throw new UsageError(`--no-events and --${eventsFlag} exclude each other`, command);
  const rules = outboundRulesOf(ctx);
  const unsafe = await resolvedOutboundProblems(urlsGiven(given, webhookTools), rules, ctx.stderr);
  if (unsafe.length > 0) throw new UsageError(describeIssues(unsafe, given), command);

  const saved = await repo.update(number, (current) => {
    const next: NumberConfigInput =
      current === undefined ? { number, agent: { kind: 'scripted' } } : withoutManaged(current);
    if (kind !== undefined && kind !== next.agent.kind) next.agent = switchKind(next.agent, kind);
    const draft = next as unknown as Record<string, unknown>;
    for (const { flag, path } of FIELD_FLAGS) {
      const value = given.get(flag);
      if (value === undefined) continue;
      const info = fieldInfoOf(path);
      checkKind(flag, info, next.agent.kind);
      setPath(draft, path, flagValue(value, info));
    }
    if (answers !== undefined) {
      checkKind('answer', fieldInfoOf(['agent', 'answers']), next.agent.kind);
      setPath(draft, ['agent', 'answers'], answers);
    }
    if (webhookTools !== undefined) {
      checkKind('webhook-tools', fieldInfoOf(['agent', 'tools']), next.agent.kind);
      setPath(draft, ['agent', 'tools'], webhookTools ?? undefined);
    }
    if (streamParameters !== undefined) {
      checkKind('websocket-param', fieldInfoOf(['agent', 'parameters']), next.agent.kind);
      setPath(draft, ['agent', 'parameters'], streamParameters ?? undefined);
    }
    if (streamHeaders !== undefined) {
      checkKind('websocket-header', fieldInfoOf(['agent', 'headers']), next.agent.kind);
      setPath(draft, ['agent', 'headers'], streamHeaders ?? undefined);
    }
    if (transferTargets !== undefined) {
      setPath(draft, ['transferTargets'], transferTargets.length === 0 ? undefined : transferTargets);
    }
    if (args.flag('record') || args.flag('no-record')) setPath(draft, ['recording', 'enabled'], args.flag('record'));
    if (args.flag('events-include-transcript')) setPath(draft, ['events', 'includeTranscript'], true);
    if (args.flag('no-events-include-transcript')) setPath(draft, ['events', 'includeTranscript'], undefined);
    if (args.flag('no-events')) delete next.events;
    if (args.flag('enabled') || args.flag('disabled')) next.enabled = args.flag('enabled');
    if (args.flag('insecure')) next.insecure = true;
    if (args.flag('no-insecure')) delete next.insecure;
    const issues = numberConfigInputIssues(next);
    if (issues.length > 0) throw new UsageError(describeIssues(issues, given), command);
    const refused = staticOutboundProblems(next, rules);
    if (refused.length > 0) throw new UsageError(describeIssues(refused, given), command);
    const voice = ttsVoiceProblem(next.engines?.tts);
    if (voice !== undefined)
      throw new UsageError(describeIssues([{ path: VOICE_PATH, message: voice }], given), command);
    return next;
  });
  if (args.flag('json')) ctx.stdout.write(json(saved));
  else ctx.stdout.write(`saved ${saved.number} (configVersion ${saved.configVersion})\n${formatNumberConfig(saved)}`);
  return 0;
}

/** --agent: one of the schema's kinds. */
function kindOption(args: ParsedArgs, command: string): AgentKindName | undefined {
  const value = args.string('agent');
  if (value === undefined) return undefined;
  const info = fieldInfoOf(['agent', 'kind']);
  const kind = AGENT_KINDS.find((k) => k === value);
  if (kind === undefined) {
    throw new UsageError(`invalid --agent ${JSON.stringify(value)}: must be ${describeConstraint(info)}`, command);
  }
  return kind;
}

/** The agent as another kind: the settings the new kind also has (the greeting, say) are kept. */
function switchKind(agent: NumberConfigInput['agent'], kind: AgentKindName): NumberConfigInput['agent'] {
  const kept = Object.entries(agent).filter(
    ([key]) => key !== 'kind' && numberConfigFieldInfo(['agent', key])?.branches?.includes(kind) === true,
  );
  return { ...Object.fromEntries(kept), kind } as NumberConfigInput['agent'];
}

/** Sets the field at `path`, creating the blocks above it; undefined removes it and any block left empty. */
function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [key, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    if (value === undefined) delete target[key];
    else target[key] = value;
    return;
  }
  const existing = target[key];
  const child = typeof existing === 'object' && existing !== null ? (existing as Record<string, unknown>) : {};
  setPath(child, rest, value);
  if (Object.keys(child).length === 0) delete target[key];
  else target[key] = child;
}

/** --webhook-tools: parsed JSON (checked by the schema with the rest); null for "". */
function webhookToolsOption(args: ParsedArgs, command: string): unknown[] | null | undefined {
  const raw = args.string('webhook-tools');
  if (raw === undefined) return undefined;
  if (raw === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UsageError('invalid --webhook-tools: not JSON', command);
  }
  if (!Array.isArray(value)) throw new UsageError('invalid --webhook-tools: must be a JSON array of tools', command);
  return value;
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

async function numbersGet(argv: readonly string[], ctx: CliContext, repo: NumberRepository): Promise<number> {
  const command = 'numbers get';
  const args = parseArgs(argv, { json: { type: 'boolean' } }, command);
  if (printedHelp(args, ctx, GET_HELP)) return 0;
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
  if (printedHelp(args, ctx, LIST_HELP)) return 0;
  expectPositionals(args, [], command);
  const configs = await repo.list();
  ctx.stdout.write(args.flag('json') ? json(configs) : formatNumberTable(configs));
  return 0;
}

async function numbersDelete(argv: readonly string[], ctx: CliContext, repo: NumberRepository): Promise<number> {
  const command = 'numbers delete';
  const args = parseArgs(argv, {}, command);
  if (printedHelp(args, ctx, DELETE_HELP)) return 0;
  const [raw] = expectPositionals(args, ['number'], command) as [string];
  const number = numberArgument(raw, command);
  if (!(await repo.delete(number))) {
    ctx.stderr.write(`voicebridge: number ${number} is not configured\n`);
    return 1;
  }
  ctx.stdout.write(`deleted ${number}\n`);
  return 0;
}
