import { expect } from 'chai';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The timer rules `pnpm lint` applies to `file` (a path from the repository root), by rule name. */
async function timerRules(file: string): Promise<Record<string, unknown>> {
  const config = (await new ESLint({ cwd: root }).calculateConfigForFile(file)) as { rules?: Record<string, unknown> };
  const rules = config.rules ?? {};
  return Object.fromEntries(
    ['no-restricted-globals', 'no-restricted-properties', 'no-restricted-imports'].map((name) => [name, rules[name]]),
  );
}

/** The names a rule's options forbid: globals, `object.property` or import paths. */
function forbidden(setting: unknown): string[] {
  if (!Array.isArray(setting) || (setting[0] !== 'error' && setting[0] !== 2)) return [];
  return setting.slice(1).flatMap((option: unknown) => {
    const o = option as { name?: string; object?: string; property?: string; paths?: { name: string }[] };
    if (o.paths) return o.paths.map((p) => p.name);
    if (o.object) return [`${o.object}.${o.property ?? ''}`];
    return o.name ? [o.name] : [];
  });
}

describe('lint: timers in tests only through test/support/wait-for.ts', function () {
  this.timeout(60_000); // loading typescript-eslint takes seconds on a busy box
  for (const file of [
    'packages/media/test/media-update.test.ts',
    'packages/signaling/test/sip-peer.ts',
    'test-calls/src/sipp.ts',
    'test-calls/test/sipp-cancel.test.ts',
    'test/support/free-port.ts',
  ]) {
    it(`forbids setTimeout, setInterval and timers/promises in ${file}`, async () => {
      const rules = await timerRules(file);
      expect(forbidden(rules['no-restricted-globals'])).to.include.members(['setTimeout', 'setInterval']);
      expect(forbidden(rules['no-restricted-properties'])).to.include.members([
        'globalThis.setTimeout',
        'globalThis.setInterval',
      ]);
      expect(forbidden(rules['no-restricted-imports'])).to.include.members(['node:timers/promises', 'timers/promises']);
    });
  }

  for (const file of ['test/support/wait-for.ts', 'packages/media/src/media-session.ts']) {
    it(`leaves timers alone in ${file}`, async () => {
      const rules = await timerRules(file);
      expect(forbidden(rules['no-restricted-globals'])).to.not.include('setTimeout');
      expect(forbidden(rules['no-restricted-imports'])).to.not.include('node:timers/promises');
    });
  }
});
