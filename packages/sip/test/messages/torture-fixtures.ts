import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../../../..');

/** The SHA-256 of every message, committed so that a copy from anywhere can be checked. */
export const TORTURE_SUMS_FILE = join(HERE, 'rfc4475-torture.sha256');

/** Where `scripts/rfc4475-fixtures.sh` puts the messages it extracts from the RFC's text (git-ignored). */
export const EXTRACTED_TORTURE_DIR = join(REPO_ROOT, '.fixtures/rfc4475-torture');

export const TORTURE_HOW_TO =
  'RFC 4475 messages not found: set RFC4475_DIR, or run scripts/rfc4475-fixtures.sh path/to/rfc4475.txt (see docs/testing.md)';

/**
 * The RFC 4475 messages are not in the repository (they are the RFC's, byte-exact). They are looked for
 * in `RFC4475_DIR`, then in `shared/rfc4475-torture` beside the clone (the project's shared folder), then
 * in the folder the extraction script fills. A folder counts only with its SHA256SUMS beside the messages.
 */
export function findTortureDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    ...(env['RFC4475_DIR'] ? [resolve(env['RFC4475_DIR'])] : []),
    resolve(REPO_ROOT, '../shared/rfc4475-torture'),
    EXTRACTED_TORTURE_DIR,
  ];
  return candidates.find((candidate) => existsSync(join(candidate, 'SHA256SUMS')));
}

/** A `describe` whose body gets the messages' folder; without the messages, one pending test saying how to get them. */
export function describeWithTorture(title: string, body: (this: Mocha.Suite, dir: string) => void): void {
  const dir = findTortureDir();
  describe(title, function () {
    if (dir === undefined) it(TORTURE_HOW_TO);
    else body.call(this, dir);
  });
}

/** An `it` that gets the messages' folder; without the messages, pending with the way to get them. */
export function itWithTorture(title: string, test: (dir: string) => void): void {
  const dir = findTortureDir();
  if (dir === undefined) it(`${title} (skipped: ${TORTURE_HOW_TO})`);
  else it(title, () => test(dir));
}

export function tortureFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sip'))
    .sort();
}

export function readTorture(dir: string, file: string): Buffer {
  return readFileSync(join(dir, file));
}

/** `sha256  name` lines of a SHA256SUMS file (the folder's own, or the committed one). */
export function readChecksums(file: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([0-9a-f]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) sums.set(match[2], match[1]);
  }
  return sums;
}

export function tortureChecksums(dir: string): Map<string, string> {
  return readChecksums(join(dir, 'SHA256SUMS'));
}
