export { runCli, TOP_HELP, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './cli.ts';
export type { CliContext, Output } from './cli.ts';
export { readCliEnv, EnvError, DEFAULT_REDIS_URL, DEFAULT_KEY_PREFIX } from './env.ts';
export type { CliEnv } from './env.ts';
export { runStartCommand } from './start-command.ts';
