import { numberConfigFieldInfo, type ConfigFieldInfo } from '@voicebridge/protocol';
import type { ConfigIssue } from '@voicebridge/store';
import { UsageError } from '../args.ts';
import { FIELD_FLAGS, type FieldFlag } from './number-field-flags.ts';

export { FIELD_FLAGS, type FieldFlag };

/** Flags that set a structured field; named in errors about that field (`#n` for a list's entry). */
const OTHER_FLAGS: readonly { flag: string; path: readonly string[]; list?: boolean }[] = [
  { flag: 'agent', path: ['agent', 'kind'] },
  { flag: 'answer', path: ['agent', 'answers'], list: true },
  { flag: 'webhook-tools', path: ['agent', 'tools'], list: true },
  { flag: 'websocket-param', path: ['agent', 'parameters'] },
  { flag: 'websocket-header', path: ['agent', 'headers'], list: true },
  { flag: 'transfer-target', path: ['transferTargets'], list: true },
  { flag: 'record', path: ['recording', 'enabled'] },
  { flag: 'events-include-transcript', path: ['events', 'includeTranscript'] },
  { flag: 'no-events', path: ['events'] },
  { flag: 'enabled', path: ['enabled'] },
];

/** The schema's word on a field, or a programming error: every flag must name a real field. */
export function fieldInfoOf(path: readonly string[]): ConfigFieldInfo {
  const info = numberConfigFieldInfo(path);
  if (info === undefined) throw new Error(`no field ${path.join('.')} in the number config schema`);
  return info;
}

/** `a whole number, 1 to 3650`, `up to 1000 characters`, `one of echo, scripted, llm`. */
export function describeConstraint(info: ConfigFieldInfo): string {
  const range = (unit: string): string =>
    info.min !== undefined && info.max !== undefined
      ? `${info.min} to ${info.max}${unit}`
      : info.max !== undefined
        ? `at most ${info.max}${unit}`
        : info.min !== undefined
          ? `at least ${info.min}${unit}`
          : '';
  switch (info.type) {
    case 'integer':
      return ['a whole number', range('')].filter(Boolean).join(', ');
    case 'number':
      return ['a number', range('')].filter(Boolean).join(', ');
    case 'string':
      return info.max !== undefined ? `up to ${info.max} characters` : 'text';
    case 'enum':
      return `one of ${(info.options ?? []).join(', ')}`;
    case 'array':
      return info.max !== undefined ? `up to ${info.max} entries` : 'a list';
    default:
      return info.type;
  }
}

/** The help lines of the field flags, wrapped at 80 columns. */
export function fieldFlagsHelp(): string {
  return FIELD_FLAGS.map(({ flag, path, value, help }) => {
    const info = fieldInfoOf(path);
    const notes = [describeConstraint(info)];
    if (info.default !== undefined) notes.push(`default ${JSON.stringify(info.default)}`);
    if (info.branches !== undefined && info.branches.length < 3) notes.push(`agent ${info.branches.join('|')}`);
    if (info.optional) notes.push('"" removes it');
    return formatOption(`--${flag} ${value}`, `${help} (${notes.join('; ')})`);
  }).join('');
}

/** `  --flag VALUE      text...` with the text wrapped under itself at column 26. */
export function formatOption(name: string, text: string): string {
  const indent = ' '.repeat(26);
  const words = text.split(' ');
  const lines: string[] = [];
  let line = name.length <= 22 ? `  ${name.padEnd(24)}` : `  ${name}\n${indent}`;
  let fresh = true;
  for (const word of words) {
    const lastLine = line.slice(line.lastIndexOf('\n') + 1);
    if (!fresh && lastLine.length + 1 + word.length > 80) {
      lines.push(line);
      line = indent;
      fresh = true;
    }
    line += (fresh ? '' : ' ') + word;
    fresh = false;
  }
  lines.push(line);
  return lines.join('\n') + '\n';
}

/**
 * A flag's string as the schema's type wants it: numbers for number fields, `true`/`false` for
 * boolean ones (anything else stays a string, for the schema to refuse); `undefined` for "" (remove
 * the field).
 */
export function flagValue(raw: string, info: ConfigFieldInfo): string | number | boolean | undefined {
  if (raw === '') return undefined;
  if (info.type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  if ((info.type === 'number' || info.type === 'integer') && /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(raw)) {
    return Number(raw);
  }
  return raw;
}

/** An issue for a field that has no value at all (zod: `expected string, received undefined`). */
function isMissing(issue: ConfigIssue): boolean {
  return / received undefined$/.test(issue.message);
}

/** `--agent llm needs --llm-base-url and --llm-model`: who requires the missing fields, and their flags. */
function describeMissing(flags: readonly FieldFlag[]): string {
  const branches = fieldInfoOf(flags[0]!.path).branches;
  const owner = branches === undefined || branches.length > 1 ? 'this number' : `--agent ${branches[0]}`;
  return `${owner} needs ${flags.map((f) => `--${f.flag}`).join(' and ')}`;
}

/**
 * The first problem of a config built from flags, naming the flag that set the field:
 * `invalid --llm-max-tokens "1.5": Invalid input: expected int, received number`. Required fields
 * left without a value are named together with the flags that set them.
 */
export function describeIssues(issues: readonly ConfigIssue[], given: ReadonlyMap<string, string>): string {
  const missing = FIELD_FLAGS.filter(
    (f) =>
      !fieldInfoOf(f.path).optional &&
      issues.some((issue) => isMissing(issue) && pathStartsWith(f.path, issue.path.map(String))),
  );
  if (missing.length > 0) {
    const removed = missing.find((f) => given.get(f.flag) === '');
    if (removed !== undefined) return `invalid --${removed.flag}: cannot be removed; ${describeMissing([removed])}`;
    return describeMissing(missing);
  }
  return describeIssue(issues[0]!, given);
}

/** True when `path` is `prefix` or below it. */
function pathStartsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((key, i) => path[i] === key);
}

function describeIssue(issue: ConfigIssue, given: ReadonlyMap<string, string>): string {
  const path = issue.path.map(String);
  // Two flags may set one field (--voice, --tts-voice): name the one given.
  const matching = FIELD_FLAGS.filter((f) => pathStartsWith(path, f.path));
  const field = matching.find((f) => given.has(f.flag)) ?? matching[0];
  if (field !== undefined) {
    const raw = given.get(field.flag);
    const quoted = raw === undefined || raw === '' || field.secret ? '' : ` ${JSON.stringify(raw)}`;
    return `invalid --${field.flag}${quoted}: ${issue.message}`;
  }
  const other = OTHER_FLAGS.find((f) => pathStartsWith(path, f.path));
  if (other !== undefined) {
    const [index, ...rest] = issue.path.slice(other.path.length);
    const entry = other.list && typeof index === 'number' ? ` #${index + 1}` : '';
    const sub = (entry ? rest : [index, ...rest]).filter((p) => p !== undefined).join('.');
    return `invalid --${other.flag}${entry}${sub ? ` ${sub}` : ''}: ${issue.message}`;
  }
  return `invalid ${path[0] === 'number' ? '<number>' : path.length === 0 ? 'config' : path.join('.')}: ${issue.message}`;
}

/** Refuses a flag for a field the number's agent kind does not have, naming the kinds that do. */
export function checkKind(flag: string, info: ConfigFieldInfo, kind: string): void {
  if (info.branches === undefined || info.branches.includes(kind)) return;
  throw new UsageError(
    `--${flag} applies to agent ${info.branches.join('|')}; this number's agent is ${kind} (give --agent ${info.branches[0]} to switch)`,
    'numbers set',
  );
}
