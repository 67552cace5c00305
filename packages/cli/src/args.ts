/**
 * A small strict argument parser: we want every usage error to name the offending argument in our
 * own words (node:util parseArgs reports ERR_PARSE_ARGS_* messages that name neither the command
 * nor the fix).
 */

/** A mistake in how the CLI was invoked: exit status 2, message names the argument. */
export class UsageError extends Error {
  /** The command whose usage applies, e.g. `numbers set`; empty for the top level. */
  readonly command: string;

  constructor(message: string, command: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** A string option that may be repeated; values are collected in order. */
  multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export class ParsedArgs {
  readonly positionals: readonly string[];
  readonly #values: ReadonlyMap<string, string[] | true>;

  constructor(positionals: string[], values: Map<string, string[] | true>) {
    this.positionals = positionals;
    this.#values = values;
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  flag(name: string): boolean {
    return this.#values.get(name) === true;
  }

  string(name: string): string | undefined {
    const value = this.#values.get(name);
    return Array.isArray(value) ? value[0] : undefined;
  }

  strings(name: string): string[] | undefined {
    const value = this.#values.get(name);
    return Array.isArray(value) ? [...value] : undefined;
  }
}

/**
 * Parses `argv` (after the command words) against `specs`. Accepts `--name value`, `--name=value`,
 * `--flag`, and `--` to end options. `--help`/`-h` is always accepted as a boolean `help`.
 */
export function parseArgs(argv: readonly string[], specs: OptionSpecs, command: string): ParsedArgs {
  const values = new Map<string, string[] | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      values.set('help', true);
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq >= 0 ? eq : undefined) : '';
    const spec = name === '' ? undefined : specs[name];
    if (spec === undefined) {
      throw new UsageError(`unknown option ${JSON.stringify(eq >= 0 ? arg.slice(0, eq) : arg)}`, command);
    }
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`, command);
      values.set(name, true);
      continue;
    }
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next.length > 1)) {
        throw new UsageError(
          `option --${name} needs a value (write --${name}=VALUE for a value starting with "-")`,
          command,
        );
      }
      value = next;
      i++;
    }
    const previous = values.get(name);
    if (Array.isArray(previous)) {
      if (!spec.multiple) throw new UsageError(`option --${name} given more than once`, command);
      previous.push(value);
    } else {
      values.set(name, [value]);
    }
  }
  return new ParsedArgs(positionals, values);
}

/** Exactly `names.length` positionals, named in errors as `<name>`. */
export function expectPositionals(args: ParsedArgs, names: readonly string[], command: string): string[] {
  if (args.positionals.length < names.length) {
    throw new UsageError(`missing <${names[args.positionals.length]}>`, command);
  }
  if (args.positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[names.length])}`, command);
  }
  return [...args.positionals];
}
