import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../packages/protocol/src/errors.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const errorsDoc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
const errorsSource = join(root, 'packages', 'protocol', 'src', 'errors.ts');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** The rows of the "Error codes" table: code → [retryable, SIP status, or — for a code that never reaches SIP]. */
function documentedCodes(): Map<string, [string, string]> {
  const section = errorsDoc.slice(errorsDoc.indexOf('## Error codes'), errorsDoc.indexOf('## SIP responses'));
  const rows = new Map<string, [string, string]>();
  for (const match of section.matchAll(/^\| (VB_[A-Z_]+) \| (yes|no) \| (\d{3}|—) \|/gm))
    rows.set(match[1] as string, [match[2] as string, match[3] as string]);
  return rows;
}

function retiredCodes(): string[] {
  const paragraph = /^Retired, never to be reused:([^]*?)\n\n/m.exec(errorsDoc)?.[1] ?? '';
  return [...paragraph.matchAll(/`(VB_[A-Z_]+)`/g)].map((match) => match[1] as string);
}

describe('error codes', () => {
  it('docs/errors.md lists every code of ERROR_CODES, with its retryable flag and SIP status, and no other', () => {
    const documented = documentedCodes();
    const listed = Object.entries(ERROR_CODES).map(([code, { retryable, sipStatus }]) => {
      const neverSip = documented.get(code)?.[1] === '—';
      return [code, [retryable ? 'yes' : 'no', neverSip ? '—' : String(sipStatus)]];
    });
    expect([...documented]).to.have.deep.members(listed);
  });

  it('every code is used by some package outside the list itself (a code nothing raises is retired instead)', () => {
    const sources = readdirSync(join(root, 'packages'))
      .flatMap((pkg) => {
        const src = join(root, 'packages', pkg, 'src');
        return statSync(src, { throwIfNoEntry: false })?.isDirectory() ? sourceFiles(src) : [];
      })
      .filter((file) => file !== errorsSource)
      .map((file) => readFileSync(file, 'utf8'));
    const unused = Object.keys(ERROR_CODES).filter((code) => !sources.some((text) => text.includes(`'${code}'`)));
    expect(unused).to.deep.equal([]);
  });

  it('a retired code is named in docs/errors.md and never comes back into ERROR_CODES', () => {
    const retired = retiredCodes();
    expect(retired).to.include('VB_NO_AGENT');
    expect(retired.filter((code) => code in ERROR_CODES)).to.deep.equal([]);
  });
});
