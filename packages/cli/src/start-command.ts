import { fileURLToPath } from 'node:url';
import type { Output } from './cli-context.ts';

/** The service entry, written separately; loaded only when `voicebridge start` runs. */
export const START_MODULE_URL = new URL('./start.ts', import.meta.url);

/**
 * Loads the start module and runs its `runStart(argv)`. The import is dynamic so every other command
 * works without the service code and its dependencies; a missing or broken module is a clear error.
 */
export async function runStartCommand(
  argv: readonly string[],
  stderr: Output,
  moduleUrl: URL = START_MODULE_URL,
): Promise<number> {
  const path = fileURLToPath(moduleUrl);
  let loaded: unknown;
  try {
    loaded = await import(moduleUrl.href);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(path)) {
      stderr.write(`voicebridge: "start" is not available in this build: ${path} is missing\n`);
    } else {
      stderr.write(`voicebridge: cannot load ${path}: ${message}\n`);
    }
    return 1;
  }
  const runStart = (loaded as { runStart?: unknown }).runStart;
  if (typeof runStart !== 'function') {
    stderr.write(`voicebridge: ${path} does not export runStart(argv)\n`);
    return 1;
  }
  const status: unknown = await runStart([...argv]);
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 0 || status > 255) {
    stderr.write(`voicebridge: runStart returned ${String(status)}, not an exit status\n`);
    return 1;
  }
  return status;
}
