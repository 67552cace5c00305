import { VoicebridgeError } from '@voicebridge/protocol';
import { UsageError } from './args.ts';
import type { CliContext } from './cli-context.ts';
import { callsCommand } from './commands/calls.ts';
import { dialCommand } from './commands/dial.ts';
import { testCallCommand } from './commands/test-call.ts';
import { numbersCommand } from './commands/numbers.ts';
import { trunksCommand } from './commands/trunks.ts';

export type { CliContext, Output } from './cli-context.ts';

/** Exit statuses: docs/cli.md lists them. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const TOP_HELP = `Usage: voicebridge <command> [options]

Commands:
  start                 run the bridge (signaling, media, agents)
  numbers set|get|list|delete
                        configure which agent answers a dialled number
  calls list|show|export|trace
                        inspect call records, transcripts and SIP traces; export as JSON lines
  trunks add|set|list|show|remove
                        configure the carriers and PBXs allowed to call
  dial TO --trunk NAME --number +E164
                        place a call out through a trunk
  test-call NUMBER [--say TEXT]
                        call a number on the running bridge and print
                        what the agent said

Environment:
  REDIS_URL             default redis://127.0.0.1:6379
  REDIS_KEY_PREFIX      default vb

Run "voicebridge <command> --help" for more. Exit status: 0 ok, 1 failed or
not found, 2 usage error.
`;

/**
 * Runs one CLI invocation (everything but `start`, which main.ts dispatches) and returns the exit
 * status. Writes results to ctx.stdout, errors to ctx.stderr; never throws, never closes ctx.redis.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  // ioredis reports why a connection failed only as an 'error' event; the command itself just
  // rejects with "Connection is closed.". Keep the cause for the message.
  let redisError: Error | undefined;
  const onRedisError = (error: Error): void => {
    redisError = error;
  };
  ctx.redis.on('error', onRedisError);
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
        ctx.stderr.write(TOP_HELP);
        return EXIT_USAGE;
      case '--help':
      case '-h':
      case 'help':
        ctx.stdout.write(TOP_HELP);
        return EXIT_OK;
      case 'numbers':
        return await numbersCommand(rest, ctx);
      case 'calls':
        return await callsCommand(rest, ctx);
      case 'trunks':
        return await trunksCommand(rest, ctx);
      case 'dial':
        return await dialCommand(rest, ctx);
      case 'test-call':
        return await testCallCommand(rest, ctx);
      case 'start':
        throw new UsageError('"start" runs only through the voicebridge entry point (packages/cli/src/main.ts)', '');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`, '');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const help = error.command === '' ? 'voicebridge --help' : `voicebridge ${error.command} --help`;
      ctx.stderr.write(`voicebridge: ${error.message}\nRun "${help}" for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof VoicebridgeError) {
      ctx.stderr.write(`voicebridge: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    const message = error instanceof Error ? error.message : String(error);
    ctx.stderr.write(
      redisError !== undefined
        ? `voicebridge: cannot reach Redis: ${redisError.message}\n`
        : `voicebridge: ${message}\n`,
    );
    return EXIT_FAILURE;
  } finally {
    ctx.redis.off('error', onRedisError);
  }
}
