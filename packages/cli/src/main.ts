import { Redis } from 'ioredis';
import { RedisKeys } from '@voicebridge/store';
import { EnvError, readCliEnv } from './env.ts';
import type { CliEnv } from './env.ts';
import { runStartCommand } from './start-command.ts';
import { bridgeSipTarget } from './sip-target.ts';

/** cli.ts's EXIT_FAILURE and EXIT_USAGE, here so that `start` need not load the other commands. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/**
 * `voicebridge` entry point: the only CLI module that reads the environment and builds a connection.
 * `start` is dispatched before anything else: the service reads its own configuration.
 */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'start') return runStartCommand(argv.slice(1), process.stderr);

  let env: CliEnv;
  try {
    env = readCliEnv(process.env);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    process.stderr.write(`voicebridge: ${error.message}\n`);
    return EXIT_USAGE;
  }
  // lazyConnect: --help and usage errors never touch Redis. No retries: a CLI should fail fast.
  const redis = new Redis(env.redisUrl, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => {
    // Reported by runCli with the command that failed.
  });
  // Loaded here, not at the top: a second `start` of a running node must say so within seconds on a
  // loaded machine, and the other commands' modules are a good part of the CLI's load time.
  const { runCli } = await import('./cli.ts');
  try {
    return await runCli(argv, {
      redis,
      keys: new RedisKeys(env.keyPrefix),
      stdout: process.stdout,
      stderr: process.stderr,
      outbound: { secretEnv: env.secretEnv, denyCidrs: env.denyCidrs },
      events: {
        maxAttempts: env.eventsMaxAttempts,
        backoffMs: env.eventsBackoffMs,
        deadLetterTtlS: env.callRecordTtlS,
      },
      sipTarget: () => bridgeSipTarget(process.env),
    });
  } finally {
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  }
}

// `voicebridge calls list | head -1` closes our stdout early: not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`voicebridge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = EXIT_FAILURE;
}
