import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The RFC 4475 messages live in `shared/rfc4475-torture/` next to the repository's clone root
 * (/work/shared beside /work/main here and in CI). Found from the repository root (the folder
 * with pnpm-workspace.yaml) so the test does not depend on its own depth; `<root>/shared` is
 * accepted too for a checkout that vendors it.
 */
export function tortureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 20 && !existsSync(join(dir, 'pnpm-workspace.yaml')); depth++) dir = dirname(dir);
  const candidates = [resolve(dir, '../shared/rfc4475-torture'), resolve(dir, 'shared/rfc4475-torture')];
  const found = candidates.find((candidate) => existsSync(join(candidate, 'SHA256SUMS')));
  if (found === undefined) throw new Error(`RFC 4475 fixtures not found; looked in ${candidates.join(', ')}`);
  return found;
}

export function tortureFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sip'))
    .sort();
}

export function readTorture(dir: string, file: string): Buffer {
  return readFileSync(join(dir, file));
}

/** `sha256  name` lines of SHA256SUMS. */
export function tortureChecksums(dir: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'SHA256SUMS'), 'utf8').split('\n')) {
    const match = /^([0-9a-f]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) sums.set(match[2], match[1]);
  }
  return sums;
}
