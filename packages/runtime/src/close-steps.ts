import type { Logger } from 'pino';

/**
 * A service's close sequence, in order, each step on its own: one that throws (or rejects) is
 * logged with its name and the rest still run, so one broken part cannot keep a socket, a port or
 * a connection open past the process's purpose.
 */
export async function closeSteps(
  log: Logger,
  steps: readonly (readonly [name: string, step: () => unknown])[],
): Promise<void> {
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      log.error({ err: error, step: name }, 'close step failed: going on');
    }
  }
}
