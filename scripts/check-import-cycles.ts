// `pnpm lint` runs this: an import cycle between modules of one package (type-only imports
// included) fails lint, naming the files round the loop. Cycles between packages are ruled out by
// the allowed dependency direction in test/architecture.test.ts; this covers the inside of each.
// Usage: check-import-cycles.ts [repository root], the root defaulting to this checkout.
import { fileURLToPath } from 'node:url';
import { packageCycles } from './import-graph.ts';

const lines = packageCycles(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
for (const line of lines) console.error(line);
if (lines.length > 0) {
  console.error(
    `${lines.length} import cycle${lines.length === 1 ? '' : 's'}: break each by moving what both sides need into a third module`,
  );
  process.exitCode = 1;
}
