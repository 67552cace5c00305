import { TRUNK_NAME_PATTERN, maskTrunkConfig } from '@voicebridge/protocol';
import type { RegistrationStatus } from '@voicebridge/protocol';
import { TrunkRepository, TrunkStatusRepository, trunkConfigInputIssues } from '@voicebridge/store';
import type { ConfigIssue, TrunkConfigInput } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import { json } from '../cli-context.ts';
import { printedHelp, runCommandGroup, withoutManaged } from './command-group.ts';
import type { CliContext } from '../cli-context.ts';
import { formatTrunk, formatTrunkTable } from './trunks-format.ts';
import { outboundRulesOf } from './number-outbound-check.ts';
import { applyOutbound, OUTBOUND_FLAGS, outboundFlagSpecs } from './trunk-outbound-flags.ts';
import { ADD_HELP, LIST_HELP, REMOVE_HELP, SHOW_HELP, TRUNKS_HELP } from './trunks-help.ts';

export { TRUNKS_HELP } from './trunks-help.ts';

export function trunksCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const repo = (): TrunkRepository => new TrunkRepository(ctx.redis, ctx.keys);
  return runCommandGroup('trunks', TRUNKS_HELP, argv, ctx, {
    add: (rest) => trunksAdd(rest, ctx, repo(), 'trunks add'),
    set: (rest) => trunksAdd(rest, ctx, repo(), 'trunks set'),
    show: (rest) => trunksShow(rest, ctx, repo()),
    list: (rest) => trunksList(rest, ctx, repo()),
    remove: (rest) => trunksRemove(rest, ctx, repo()),
  });
}

function nameArgument(value: string, command: string): string {
  if (!TRUNK_NAME_PATTERN.test(value)) {
    throw new UsageError(
      `invalid <name> ${JSON.stringify(value.slice(0, 80))}: must be 1 to 63 of letters, digits, _ . - (starting with a letter or digit)`,
      command,
    );
  }
  return value;
}

/** Flag → field, for options that set one scalar field. A "" value removes an optional field. */
const STRING_FIELDS = {
  'number-from': 'numberFrom',
  'number-format': 'numberFormat',
  'country-code': 'countryCode',
  'default-number': 'defaultNumber',
  'rtp-latching': 'rtpLatching',
  transport: 'transport',
} as const;
const NUMBER_FIELDS = { 'max-calls': 'maxCalls', 'calls-per-second': 'callsPerSecond' } as const;
const REGISTER_STRINGS = {
  'register-registrar': 'registrar',
  'register-username': 'username',
  'register-auth-username': 'authUsername',
  'register-password': 'password',
  'register-transport': 'transport',
} as const;

async function trunksAdd(
  argv: readonly string[],
  ctx: CliContext,
  repo: TrunkRepository,
  command: string,
): Promise<number> {
  const specs: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    source: { type: 'string', multiple: true },
    'clear-sources': { type: 'boolean' },
    'auth-username': { type: 'string' },
    'auth-password': { type: 'string' },
    'no-auth': { type: 'boolean' },
    trusted: { type: 'boolean' },
    untrusted: { type: 'boolean' },
    enabled: { type: 'boolean' },
    disabled: { type: 'boolean' },
    'register-expires': { type: 'string' },
    'no-register': { type: 'boolean' },
    json: { type: 'boolean' },
    ...outboundFlagSpecs(),
  };
  for (const flag of [...Object.keys(STRING_FIELDS), ...Object.keys(NUMBER_FIELDS), ...Object.keys(REGISTER_STRINGS)]) {
    specs[flag] = { type: 'string' };
  }
  const args = parseArgs(argv, specs, command);
  if (printedHelp(args, ctx, ADD_HELP)) return 0;
  const [raw] = expectPositionals(args, ['name'], command) as [string];
  const name = nameArgument(raw, command);
  exclusive(args, command, ['trusted', 'untrusted'], ['enabled', 'disabled'], ['source', 'clear-sources']);
  exclusive(args, command, ['auth-username', 'no-auth'], ['auth-password', 'no-auth']);
  const sources = sourcesOption(args);
  const numbers = Object.fromEntries(
    Object.entries(NUMBER_FIELDS).map(([flag, field]) => [field, numberOption(args, flag, command)]),
  ) as Record<(typeof NUMBER_FIELDS)[keyof typeof NUMBER_FIELDS], number | null | undefined>;
  const expires = numberOption(args, 'register-expires', command);

  const saved = await repo.update(name, (current) => {
    const next: TrunkConfigInput = current === undefined ? { name } : withoutManaged(current);
    if (sources !== undefined) next.sources = sources;
    const record = next as Record<string, unknown>;
    for (const [flag, field] of Object.entries(STRING_FIELDS)) {
      const value = args.string(flag);
      if (value === '') delete record[field];
      else if (value !== undefined) record[field] = value;
    }
    for (const [field, value] of Object.entries(numbers)) {
      if (value === null) delete record[field];
      else if (value !== undefined) record[field] = value;
    }
    if (args.flag('trusted')) next.trusted = true;
    if (args.flag('untrusted')) next.trusted = false;
    if (args.flag('enabled')) next.enabled = true;
    if (args.flag('disabled')) next.enabled = false;
    applyAuth(next, args, command);
    applyRegister(next, args, expires, command);
    applyOutbound(next, args, command);
    const passwordEnv = next.outbound?.passwordEnv;
    const secretEnv = outboundRulesOf(ctx).secretEnv;
    if (passwordEnv !== undefined && !secretEnv.allows(passwordEnv))
      throw new UsageError(`invalid --outbound-password-env: ${secretEnv.refusal(passwordEnv)}`, command);
    const issue = trunkConfigInputIssues(next)[0];
    if (issue !== undefined) throw new UsageError(describeIssue(issue), command);
    return next;
  });
  const shown = maskTrunkConfig(saved);
  if (args.flag('json')) ctx.stdout.write(json(shown));
  else ctx.stdout.write(`saved trunk ${saved.name} (configVersion ${saved.configVersion})\n${formatTrunk(shown)}`);
  return 0;
}

function exclusive(args: ParsedArgs, command: string, ...pairs: [string, string][]): void {
  for (const [a, b] of pairs) {
    if (args.has(a) && args.has(b)) throw new UsageError(`--${a} and --${b} exclude each other`, command);
  }
}

/** `--source` repeated and/or comma-separated; replaces the stored list. */
function sourcesOption(args: ParsedArgs): string[] | undefined {
  if (args.flag('clear-sources')) return [];
  const values = args.strings('source');
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim());
}

/** A number flag: a value sets it, "" removes it (null), absent leaves it (undefined). */
function numberOption(args: ParsedArgs, flag: string, command: string): number | null | undefined {
  const value = args.string(flag);
  if (value === undefined) return undefined;
  if (value === '') return null;
  const parsed = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed))
    throw new UsageError(`invalid --${flag} ${JSON.stringify(value)}: must be a positive number`, command);
  return parsed;
}

/** --auth-username/--auth-password set inbound digest; a new auth block needs both. */
function applyAuth(next: TrunkConfigInput, args: ParsedArgs, command: string): void {
  if (args.flag('no-auth')) {
    delete next.auth;
    return;
  }
  const username = args.string('auth-username');
  const password = args.string('auth-password');
  if (username === undefined && password === undefined) return;
  const merged = {
    ...next.auth,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
  };
  if (merged.username === undefined || merged.password === undefined) {
    throw new UsageError('inbound digest needs both --auth-username and --auth-password', command);
  }
  next.auth = { username: merged.username, password: merged.password };
}

/** --register-* flags merge into `register`; a new register block needs registrar, username, password. */
function applyRegister(
  next: TrunkConfigInput,
  args: ParsedArgs,
  expires: number | null | undefined,
  command: string,
): void {
  const given = Object.keys(REGISTER_STRINGS).some((flag) => args.has(flag)) || expires !== undefined;
  if (args.flag('no-register')) {
    if (given) throw new UsageError('--no-register excludes the --register-* options', command);
    delete next.register;
    return;
  }
  if (!given) return;
  const merged: Record<string, unknown> = { ...next.register };
  for (const [flag, field] of Object.entries(REGISTER_STRINGS)) {
    const value = args.string(flag);
    if (value === '' && field === 'authUsername') delete merged[field];
    else if (value !== undefined) merged[field] = value;
  }
  if (expires === null) delete merged['expires'];
  else if (expires !== undefined) merged['expires'] = expires;
  for (const [flag, field] of [
    ['--register-registrar', 'registrar'],
    ['--register-username', 'username'],
    ['--register-password', 'password'],
  ]) {
    if (merged[field as string] === undefined)
      throw new UsageError(`registration needs ${flag} (the trunk has none yet)`, command);
  }
  next.register = merged as NonNullable<TrunkConfigInput['register']>;
}

const FIELD_FLAGS: Record<string, string> = {
  name: '<name>',
  sources: '--source',
  enabled: '--enabled',
  trusted: '--trusted',
  ...Object.fromEntries(
    Object.entries({ ...STRING_FIELDS, ...NUMBER_FIELDS }).map(([flag, field]) => [field, `--${flag}`]),
  ),
};
const REGISTER_FLAGS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(REGISTER_STRINGS).map(([flag, field]) => [field, `--${flag}`])),
  expires: '--register-expires',
};

/** Names the flag that set the failing field: `invalid --source #2: must be a CIDR ...`. Never quotes a value. */
function describeIssue(issue: ConfigIssue): string {
  const [field, sub] = issue.path;
  if (field === 'sources' && typeof sub === 'number') return `invalid --source #${sub + 1}: ${issue.message}`;
  if (field === 'auth' && typeof sub === 'string') return `invalid --auth-${sub}: ${issue.message}`;
  if (field === 'outbound' && typeof sub === 'string') {
    const flag = OUTBOUND_FLAGS[sub] ?? '--outbound-*';
    const index = issue.path[2];
    return `invalid ${flag}${typeof index === 'number' ? ` #${index + 1}` : ''}: ${issue.message}`;
  }
  if (field === 'register' && typeof sub === 'string')
    return `invalid ${REGISTER_FLAGS[sub] ?? '--register-*'}: ${issue.message}`;
  const flag = field === undefined ? 'config' : (FIELD_FLAGS[String(field)] ?? `--${String(field)}`);
  return `invalid ${flag}: ${issue.message}`;
}

async function trunksShow(argv: readonly string[], ctx: CliContext, repo: TrunkRepository): Promise<number> {
  const command = 'trunks show';
  const args = parseArgs(argv, { json: { type: 'boolean' } }, command);
  if (printedHelp(args, ctx, SHOW_HELP)) return 0;
  const [raw] = expectPositionals(args, ['name'], command) as [string];
  const name = nameArgument(raw, command);
  const config = await repo.get(name);
  if (config === undefined) {
    ctx.stderr.write(`voicebridge: trunk ${name} is not configured\n`);
    return 1;
  }
  const shown = maskTrunkConfig(config);
  ctx.stdout.write(args.flag('json') ? json(shown) : formatTrunk(shown));
  return 0;
}

async function trunksList(argv: readonly string[], ctx: CliContext, repo: TrunkRepository): Promise<number> {
  const command = 'trunks list';
  const args = parseArgs(argv, { json: { type: 'boolean' } }, command);
  if (printedHelp(args, ctx, LIST_HELP)) return 0;
  expectPositionals(args, [], command);
  const trunks = (await repo.list()).map(maskTrunkConfig);
  const statusRepo = new TrunkStatusRepository(ctx.redis, ctx.keys);
  const statuses = new Map<string, RegistrationStatus>();
  for (const trunk of trunks) {
    const status = trunk.register === undefined ? undefined : await statusRepo.get(trunk.name);
    if (status !== undefined) statuses.set(trunk.name, status);
  }
  ctx.stdout.write(
    args.flag('json')
      ? json(trunks.map((t) => (statuses.has(t.name) ? { ...t, registration: statuses.get(t.name) } : t)))
      : formatTrunkTable(trunks, statuses),
  );
  return 0;
}

async function trunksRemove(argv: readonly string[], ctx: CliContext, repo: TrunkRepository): Promise<number> {
  const command = 'trunks remove';
  const args = parseArgs(argv, {}, command);
  if (printedHelp(args, ctx, REMOVE_HELP)) return 0;
  const [raw] = expectPositionals(args, ['name'], command) as [string];
  const name = nameArgument(raw, command);
  if (!(await repo.delete(name))) {
    ctx.stderr.write(`voicebridge: trunk ${name} is not configured\n`);
    return 1;
  }
  ctx.stdout.write(`removed trunk ${name}\n`);
  return 0;
}
