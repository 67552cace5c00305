import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(root, 'packages');

/** DESIGN.md "Packages": who may import whom. Anything not listed is forbidden. */
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  rtp: [],
  sip: ['protocol'],
  store: ['protocol'],
  channel: ['protocol'],
  runtime: ['protocol'],
  signaling: ['protocol', 'sip', 'store', 'runtime'],
  media: ['protocol', 'rtp', 'channel', 'runtime'],
  agent: ['protocol', 'store', 'channel', 'runtime'],
  cli: ['protocol', 'store', 'runtime'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) specs.push((m[1] ?? m[2]) as string);
  return specs;
}

describe('architecture', () => {
  const packages = readdirSync(packagesDir).filter((p) => statSync(join(packagesDir, p)).isDirectory());

  it('knows every package', () => {
    expect(packages.filter((p) => !(p in ALLOWED))).to.deep.equal([]);
  });

  for (const pkg of Object.keys(ALLOWED)) {
    it(`${pkg} imports only ${ALLOWED[pkg]?.join(', ') || 'no other package'}, and never another package's internals`, () => {
      const problems: string[] = [];
      const srcDir = join(packagesDir, pkg, 'src');
      for (const file of sourceFiles(srcDir)) {
        for (const spec of importsOf(file)) {
          const where = relative(root, file);
          const internal = /^@voicebridge\/([^/]+)(\/.*)?$/.exec(spec);
          if (internal) {
            const [, target, deep] = internal;
            if (target !== pkg && !ALLOWED[pkg]?.includes(target as string)) problems.push(`${where} imports ${spec}`);
            if (deep) problems.push(`${where} reaches into ${spec}`);
          }
          if (spec.startsWith('.') && !join(file, '..', spec).startsWith(srcDir))
            problems.push(`${where} imports ${spec} outside its package`);
        }
      }
      expect(problems).to.deep.equal([]);
    });
  }

  it('declares exactly the internal dependencies it may use', () => {
    for (const pkg of Object.keys(ALLOWED)) {
      const manifest = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const internal = Object.keys(manifest.dependencies ?? {})
        .filter((d) => d.startsWith('@voicebridge/'))
        .map((d) => d.slice('@voicebridge/'.length));
      expect(
        internal.filter((d) => !ALLOWED[pkg]?.includes(d)),
        pkg,
      ).to.deep.equal([]);
    }
  });

  it('has no dependency cycle between packages', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (pkg: string, path: string[]): void => {
      if (done.has(pkg)) return;
      if (visiting.has(pkg)) throw new Error(`cycle: ${[...path, pkg].join(' → ')}`);
      visiting.add(pkg);
      for (const dep of ALLOWED[pkg] ?? []) visit(dep, [...path, pkg]);
      visiting.delete(pkg);
      done.add(pkg);
    };
    for (const pkg of Object.keys(ALLOWED)) visit(pkg, []);
  });

  it('keeps source files under 400 lines', () => {
    const long = packages
      .flatMap((p) => sourceFiles(join(packagesDir, p, 'src')))
      .filter((f) => readFileSync(f, 'utf8').split('\n').length > 400)
      .map((f) => relative(root, f));
    expect(long).to.deep.equal([]);
  });
});
