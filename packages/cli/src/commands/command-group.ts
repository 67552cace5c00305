import { UsageError } from '../args.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliContext } from '../cli-context.ts';

export type Subcommand = (argv: readonly string[]) => Promise<number>;

/**
 * Runs `voicebridge <group> <command> ...`: `--help`, `-h` or `help` prints the group's help; a
 * missing or unknown command is a usage error naming the group.
 */
export async function runCommandGroup(
  group: string,
  help: string,
  argv: readonly string[],
  ctx: CliContext,
  commands: Readonly<Record<string, Subcommand>>,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) throw new UsageError(`missing command after "${group}"`, group);
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    ctx.stdout.write(help);
    return 0;
  }
  const command = new Map(Object.entries(commands)).get(sub);
  if (command === undefined) throw new UsageError(`unknown command "${group} ${sub}"`, group);
  return command(rest);
}

/** A command's `--help`: prints its help; true when it did (the command then exits 0). */
export function printedHelp(args: ParsedArgs, ctx: CliContext, help: string): boolean {
  if (!args.flag('help')) return false;
  ctx.stdout.write(help);
  return true;
}

/** A stored config without the fields its repository owns: what an operator may give back to `update`. */
export function withoutManaged<T extends { version: unknown; configVersion: unknown; updatedAtMs: unknown }>(
  config: T,
): Omit<T, 'version' | 'configVersion' | 'updatedAtMs'> {
  const { version: _v, configVersion: _c, updatedAtMs: _u, ...input } = config;
  return input;
}
