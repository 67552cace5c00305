import { AGENT_TYPES, E164_PATTERN } from '@voicebridge/protocol';
import type { AgentType, KeywordAnswer, LlmConfig } from '@voicebridge/protocol';
import { NumberRepository, numberConfigInputIssues } from '@voicebridge/store';
import type { ConfigIssue, NumberConfigInput } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import { json } from '../cli-context.ts';
import { printedHelp, runCommandGroup, withoutManaged } from './command-group.ts';
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
  --agent echo|scripted|llm
                          the agent type (a new number defaults to scripted)
  --greeting TEXT         what the agent says on answer ("" removes it)
  --answer KEYWORD=TEXT   scripted reply when the caller says KEYWORD; repeat
                          for more; replaces the whole list when given
  --clear-answers         remove all keyword answers
  --fallback TEXT         reply when no keyword matched ("" removes it)
  --prompt TEXT           system prompt for LLM agents ("" removes it)
  --llm-base-url URL      OpenAI-compatible endpoint up to the version path,
                          e.g. https://api.openai.com/v1, http://localhost:11434/v1
  --llm-model NAME        model name as the server knows it
  --llm-api-key-env VAR   NAME of the agent worker's environment variable that
                          holds the API key (never the key itself; "" removes it)
  --llm-temperature N     sampling temperature, 0 to 2 ("" removes it)
  --llm-max-tokens N      longest answer in tokens, a positive integer ("" removes it)
                          (--agent llm needs --llm-base-url and --llm-model)
  --voice NAME            TTS voice ("" removes it)
  --record | --no-record  record calls as stereo WAV (caller left, agent right) under
                          the media worker's RECORDINGS_DIR, or stop recording
  --retention-days N      delete recordings N days (1-3650) after the call; default 30
  --max-call-duration S   end calls after S seconds (1-86400; default 3600; "" removes it)
  --no-input-timeout S    caller silence before "Are you still there?" and again
                          before the call ends (1-3600; default 30; "" removes it)
  --webhook-tools JSON    HTTP tools for the llm agent's model, a JSON array of
                          {name, description, parameters, url, timeoutMs}; "" removes them
  --transfer-target T     where the agent may transfer calls (transfer_call): a number
                          or sip:/sips:/tel: URI, * matches anything; repeat for more;
                          replaces the whole list when given; "" removes them
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

export function numbersCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const repo = (): NumberRepository => new NumberRepository(ctx.redis, ctx.keys);
  return runCommandGroup('numbers', NUMBERS_HELP, argv, ctx, {
    set: (rest) => numbersSet(rest, ctx, repo()),
    get: (rest) => numbersGet(rest, ctx, repo()),
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
      'llm-base-url': { type: 'string' },
      'llm-model': { type: 'string' },
      'llm-api-key-env': { type: 'string' },
      'llm-temperature': { type: 'string' },
      'llm-max-tokens': { type: 'string' },
      enabled: { type: 'boolean' },
      disabled: { type: 'boolean' },
      record: { type: 'boolean' },
      'no-record': { type: 'boolean' },
      'retention-days': { type: 'string' },
      'max-call-duration': { type: 'string' },
      'no-input-timeout': { type: 'string' },
      'webhook-tools': { type: 'string' },
      'transfer-target': { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    command,
  );
  if (printedHelp(args, ctx, SET_HELP)) return 0;
  const [raw] = expectPositionals(args, ['number'], command) as [string];
  const number = numberArgument(raw, command);
  const agent = agentOption(args, command);
  const answers = answersOption(args, command);
  const llm = llmOptions(args, command);
  const recording = recordingOptions(args, command);
  const maxCallDurationS = secondsOption(args, 'max-call-duration', 86_400, command);
  const noInputTimeoutS = secondsOption(args, 'no-input-timeout', 3600, command);
  const webhookTools = webhookToolsOption(args, command);
  const transferTargets = args.strings('transfer-target')?.filter((target) => target !== '');
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
    applyLlmOptions(next, llm, command);
    if (recording.enabled !== undefined || recording.retentionDays !== undefined) {
      next.recording = {
        enabled: recording.enabled ?? next.recording?.enabled ?? false,
        retentionDays: recording.retentionDays ?? next.recording?.retentionDays ?? DEFAULT_RETENTION_DAYS,
      };
    }
    if (maxCallDurationS === null) delete next.maxCallDurationS;
    else if (maxCallDurationS !== undefined) next.maxCallDurationS = maxCallDurationS;
    if (noInputTimeoutS === null) delete next.noInputTimeoutS;
    else if (noInputTimeoutS !== undefined) next.noInputTimeoutS = noInputTimeoutS;
    if (webhookTools === null) delete next.tools;
    else if (webhookTools !== undefined) next.tools = webhookTools as NonNullable<NumberConfigInput['tools']>;
    if (transferTargets?.length === 0) delete next.transferTargets;
    else if (transferTargets !== undefined) next.transferTargets = transferTargets;
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

const DEFAULT_RETENTION_DAYS = 30;

/** --record / --no-record and --retention-days: undefined fields leave the number's as they are. */
function recordingOptions(args: ParsedArgs, command: string): { enabled?: boolean; retentionDays?: number } {
  if (args.flag('record') && args.flag('no-record'))
    throw new UsageError('--record and --no-record exclude each other', command);
  const enabled = args.flag('record') ? true : args.flag('no-record') ? false : undefined;
  const raw = args.string('retention-days');
  if (raw === undefined) return { enabled };
  const retentionDays = Number(raw);
  if (!/^\d+$/.test(raw) || retentionDays < 1 || retentionDays > 3650) {
    throw new UsageError(
      `invalid --retention-days ${JSON.stringify(raw)}: must be a whole number of days, 1 to 3650`,
      command,
    );
  }
  return { enabled, retentionDays };
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

/** A whole number of seconds, 1 to `max`; null for "" (remove: the default applies). */
function secondsOption(args: ParsedArgs, flag: string, max: number, command: string): number | null | undefined {
  const raw = args.string(flag);
  if (raw === undefined) return undefined;
  if (raw === '') return null;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new UsageError(
      `invalid --${flag} ${JSON.stringify(raw)}: must be a whole number of seconds, 1 to ${max}`,
      command,
    );
  }
  return value;
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

interface LlmOptions {
  baseUrl: string | null | undefined;
  model: string | null | undefined;
  apiKeyEnv: string | null | undefined;
  temperature: number | null | undefined;
  maxTokens: number | null | undefined;
}

/** The --llm-* flags: a value sets the field, null ("") removes it, undefined leaves it. */
function llmOptions(args: ParsedArgs, command: string): LlmOptions {
  const text = (flag: string): string | null | undefined => {
    const value = args.string(flag);
    return value === '' ? null : value;
  };
  const number = (flag: string, integer: boolean, min: number, max: number): number | null | undefined => {
    const value = text(flag);
    if (value === null || value === undefined) return value;
    const parsed = /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)) || parsed < min || parsed > max) {
      const what = integer ? `an integer from ${min} to ${max}` : `a number from ${min} to ${max}`;
      throw new UsageError(`invalid --${flag} ${JSON.stringify(value)}: must be ${what}`, command);
    }
    return parsed;
  };
  return {
    baseUrl: text('llm-base-url'),
    model: text('llm-model'),
    // Never quoted in an error: someone may have pasted the key itself here.
    apiKeyEnv: text('llm-api-key-env'),
    temperature: number('llm-temperature', false, 0, 2),
    maxTokens: number('llm-max-tokens', true, 1, 100_000),
  };
}

/** Merges the --llm-* flags into `next.llm`; an llm agent must end up with a base URL and a model. */
function applyLlmOptions(next: NumberConfigInput, options: LlmOptions, command: string): void {
  const given = Object.values(options).some((value) => value !== undefined);
  if (given) {
    if (options.baseUrl === null) throw new UsageError('invalid --llm-base-url: cannot be empty', command);
    if (options.model === null) throw new UsageError('invalid --llm-model: cannot be empty', command);
    const merged: Partial<LlmConfig> = { ...next.llm };
    for (const key of Object.keys(options) as (keyof LlmConfig)[]) {
      const value = options[key];
      if (value === null) delete merged[key];
      else if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
    if (merged.baseUrl === undefined || merged.model === undefined) {
      throw new UsageError(
        '--llm-* options need --llm-base-url and --llm-model (the number has no llm config yet)',
        command,
      );
    }
    next.llm = { ...merged, baseUrl: merged.baseUrl, model: merged.model };
  }
  if (next.agent === 'llm' && next.llm === undefined) {
    throw new UsageError('--agent llm needs --llm-base-url and --llm-model', command);
  }
}

const LLM_FLAGS: Record<string, string> = {
  baseUrl: '--llm-base-url',
  model: '--llm-model',
  apiKeyEnv: '--llm-api-key-env',
  temperature: '--llm-temperature',
  maxTokens: '--llm-max-tokens',
};

/** Names the flag that set the failing field: `invalid --greeting: Too big: ...`. */
function describeIssue(issue: ConfigIssue): string {
  const [field, index, sub] = issue.path;
  if (field === 'answers' && typeof index === 'number') {
    return `invalid --answer #${index + 1}${sub === undefined ? '' : ` ${String(sub)}`}: ${issue.message}`;
  }
  if (field === 'transferTargets' && typeof index === 'number')
    return `invalid --transfer-target #${index + 1}: ${issue.message}`;
  if (field === 'llm' && typeof index === 'string') return `invalid ${LLM_FLAGS[index] ?? '--llm'}: ${issue.message}`;
  if (field === 'tools' && typeof index === 'number') {
    return `invalid --webhook-tools #${index + 1}${sub === undefined ? '' : ` ${String(sub)}`}: ${issue.message}`;
  }
  const name = field === 'number' ? '<number>' : field === undefined ? 'config' : `--${String(field)}`;
  return `invalid ${name}: ${issue.message}`;
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
