import { expect } from 'chai';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHES } from '../scripts/bench.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const prettierBin = join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;

/** Runs `prettier --check .` (the format check `pnpm lint` runs) in `cwd`; the exit code and output. */
function prettierCheck(cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [prettierBin, '--check', '.'], { cwd }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, keep));
    else if (keep(full)) out.push(full);
  }
  return out;
}

describe('tooling', () => {
  describe("pnpm lint's format check", () => {
    let probe: string;

    // A tree of its own with a copy of the repository's Prettier config: the repository's ignore
    // files exclude .tmp/ (rightly), so a probe there would not be looked at by a check run from
    // the root, and a probe anywhere else could be seen by a lint running at the same time.
    beforeEach(() => {
      mkdirSync(join(root, '.tmp'), { recursive: true });
      probe = mkdtempSync(join(root, '.tmp', 'format-probe-'));
      copyFileSync(join(root, '.prettierrc.json'), join(probe, '.prettierrc.json'));
    });
    afterEach(() => rmSync(probe, { recursive: true, force: true }));

    it('is prettier --check over the whole tree, with the config at the root', () => {
      expect(scripts.lint).to.include('prettier --check .');
      expect(statSync(join(root, '.prettierrc.json')).isFile()).to.equal(true);
    });

    it('fails on a badly formatted .ts file, naming it', async () => {
      writeFileSync(join(probe, 'messy.ts'), 'export const answer = {a:1,\n  b : "two"}\n');
      const { code, output } = await prettierCheck(probe);
      expect(code, output).to.equal(1);
      expect(output).to.include('messy.ts');
    });

    it('fails on a line over 120 columns that Prettier would break', async () => {
      const long = Array.from({ length: 12 }, (_, i) => `'item number ${i}'`).join(', ');
      writeFileSync(join(probe, 'wide.ts'), `export const items = [${long}];\n`);
      const { code, output } = await prettierCheck(probe);
      expect(code, output).to.equal(1);
      expect(output).to.include('wide.ts');
    });

    it('passes on the same code formatted in the house style', async () => {
      writeFileSync(join(probe, 'tidy.ts'), "export const answer = { a: 1, b: 'two' };\n");
      const { code, output } = await prettierCheck(probe);
      expect(code, output).to.equal(0);
    });
  });

  describe('pnpm bench', () => {
    const listed = BENCHES.map(([, path]) => relative(root, resolve(root, 'scripts', path)));

    it('runs every *.bench.ts in the tree, and each listed one exists and exports run()', () => {
      const found = [
        ...filesUnder(join(root, 'packages'), (path) => path.endsWith('.bench.ts')),
        ...filesUnder(join(root, 'test-calls'), (path) => path.endsWith('.bench.ts')),
      ].map((path) => relative(root, path));
      expect(listed).to.have.members(found);
      for (const path of listed)
        expect(readFileSync(join(root, path), 'utf8'), path).to.match(/^export async function run\(/m);
    });

    it('finds no benchmark among the tests (a package keeps them in bench/)', () => {
      const hidden = filesUnder(join(root, 'packages'), (path) => /\/test\/.*bench/i.test(path));
      expect(hidden.map((path) => relative(root, path))).to.deep.equal([]);
    });
  });
});
