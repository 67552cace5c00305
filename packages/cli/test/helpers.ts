import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Resolver } from '@voicebridge/outbound';
import { SecretEnvAllowList } from '@voicebridge/protocol';
import type { OutboundRules } from '../src/cli-context.ts';
import { runCli, type CliContext, type Output } from '../src/index.ts';
import { TEST_REDIS_URL, type TestRedis } from '../../store/test/redis-fixture.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// One Redis test fixture for the workspace: the store package's.
export {
  connectTestRedis,
  deletePrefix,
  TEST_REDIS_URL,
  uniquePrefix,
  useTestRedis,
  type TestRedis,
} from '../../store/test/redis-fixture.ts';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command in-process against the test's Redis and prefix, capturing its output. */
export async function runCliCaptured(
  db: TestRedis,
  argv: readonly string[],
  context: Partial<CliContext> = {},
): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const status = await runCli(argv, { redis: db.redis, keys: db.keys, stdout, stderr, ...context });
  return { status, stdout: stdout.text, stderr: stderr.text };
}

export class Capture implements Output {
  text = '';

  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real entry point as `pnpm voicebridge` does, and resolves when it exits. */
export function runMain(args: readonly string[], env: Record<string, string>): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', REDIS_URL: TEST_REDIS_URL, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A resolver that answers each named host with its address and any other name with ENOTFOUND. */
export function resolverOf(answers: Record<string, string>): Resolver {
  return (hostname) => {
    const address = answers[hostname];
    if (address === undefined) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    return Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }]);
  };
}

/** The outbound rules a CLI test runs with: the default allow-list, no CIDR denied, the given names resolved. */
export function outboundRulesOf(answers: Record<string, string>): OutboundRules {
  return { secretEnv: SecretEnvAllowList.default(), denyCidrs: 'none', resolve: resolverOf(answers) };
}
