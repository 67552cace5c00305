import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERDICTS } from '../packages/protocol/src/verdicts.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The "Termination verdicts" table as the registry writes it: paste it into docs/errors.md when they differ. */
function registryTable(): string[] {
  return Object.entries(VERDICTS).map(
    ([code, entry]) => `| ${code} | ${(entry.by as readonly string[]).join('/')} | ${entry.description} |`,
  );
}

function documentedTable(): string[] {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const start = doc.indexOf('## Termination verdicts');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end === -1 ? undefined : end);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| reason ') && !line.startsWith('| ---'));
}

describe('verdicts', () => {
  it('docs/errors.md lists exactly the registry: each code with who ends a call with it and its description, in order', () => {
    const expected = registryTable();
    expect(documentedTable(), `docs/errors.md should read:\n${expected.join('\n')}\n`).to.deep.equal(expected);
  });

  it('a verdict with a fixed SIP status says so in its description', () => {
    for (const [code, entry] of Object.entries(VERDICTS)) {
      if ('sipStatus' in entry) expect(entry.description, code).to.include(String(entry.sipStatus));
    }
  });
});
