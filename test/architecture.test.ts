import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph, importsOf, packageCycles, sourceFiles } from '../scripts/import-graph.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(root, 'packages');

/** DESIGN.md "Packages": who may import whom. Anything not listed is forbidden. */
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  rtp: [],
  metrics: ['protocol'],
  sip: ['protocol'],
  store: ['protocol'],
  channel: ['protocol'],
  runtime: ['protocol', 'metrics'],
  outbound: ['protocol'],
  events: ['protocol', 'store', 'outbound', 'metrics'],
  signaling: ['protocol', 'sip', 'store', 'runtime', 'metrics', 'events'],
  media: ['protocol', 'rtp', 'channel', 'runtime', 'metrics'],
  agent: ['protocol', 'store', 'channel', 'runtime', 'outbound', 'rtp', 'metrics', 'events'],
  http: ['protocol'],
  api: ['protocol', 'store', 'http'],
  dashboard: ['protocol', 'store', 'http'],
  // test-caller places a real SIP call with the bridge's own SIP and RTP code; the CLI reaches those
  // only through it, so the CLI never grows a second call stack of its own.
  'test-caller': ['protocol', 'sip', 'rtp'],
  // events: an operator's redelivery of a call's dead letters (API route and `calls events --redeliver`).
  cli: ['protocol', 'store', 'runtime', 'outbound', 'http', 'api', 'dashboard', 'metrics', 'test-caller', 'events'],
};

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

  for (const pkg of Object.keys(ALLOWED)) {
    it(`${pkg} has no import cycle between its own modules, type-only imports included`, () => {
      const srcDir = join(packagesDir, pkg, 'src');
      const cycles = importCycles(importGraph(srcDir, `@voicebridge/${pkg}`));
      expect(cycles.map((cycle) => cycle.map((f) => relative(srcDir, f)).join(' → '))).to.deep.equal([]);
    });
  }

  it('keeps source files under 400 lines', () => {
    const long = packages
      .flatMap((p) => sourceFiles(join(packagesDir, p, 'src')))
      .filter((f) => readFileSync(f, 'utf8').split('\n').length > 400)
      .map((f) => relative(root, f));
    expect(long).to.deep.equal([]);
  });
});

describe('the import cycle check', () => {
  const made: string[] = [];
  after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** A repository root holding one package, `demo`, with these source files. */
  function demoTree(files: Record<string, string>): { root: string; srcDir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'vb-import-cycles-'));
    made.push(dir);
    const srcDir = join(dir, 'packages', 'demo', 'src');
    mkdirSync(srcDir, { recursive: true });
    writeFileSync(join(dir, 'packages', 'demo', 'package.json'), '{"name": "@voicebridge/demo"}');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(srcDir, name)), { recursive: true });
      writeFileSync(join(srcDir, name), text);
    }
    return { root: dir, srcDir };
  }

  const tangled = {
    'config.ts':
      "import { MAX } from './limits.ts';\nexport interface Config { max: number }\nexport const DEFAULT = MAX;\n",
    // Type-only on this side, as the circle between the bridge config and the media workers was.
    'limits.ts':
      "import type { Config } from './config.ts';\nexport const MAX = 8;\nexport const of = (c: Config) => c.max;\n",
    'index.ts': "export * from './sdp/answer.ts';\n",
    // Back round through the package's own name, which is its index.
    'sdp/answer.ts': "import { DEFAULT } from '@voicebridge/demo';\nexport const answer = DEFAULT;\n",
    'sdp/offer.ts': "export { answer } from './answer.ts';\nexport const offer = 1;\n",
  };

  it('finds each tangle once, type-only and package-name imports included, as the shortest loop', () => {
    const { srcDir } = demoTree(tangled);
    const cycles = importCycles(importGraph(srcDir, '@voicebridge/demo')).map((c) => c.map((f) => relative(srcDir, f)));
    expect(cycles).to.deep.equal([
      ['config.ts', 'limits.ts', 'config.ts'],
      ['index.ts', 'sdp/answer.ts', 'index.ts'],
    ]);
  });

  it('reports a file importing itself and a three-file loop, and nothing for imports that only point one way', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c', 'd']],
      ['c', ['a']],
      ['d', []],
      ['e', ['e', 'd']],
      ['f', ['d', 'b']],
    ]);
    expect(importCycles(graph)).to.deep.equal([
      ['a', 'b', 'c', 'a'],
      ['e', 'e'],
    ]);
    const diamond = new Map([
      ['top', ['left', 'right']],
      ['left', ['bottom']],
      ['right', ['bottom']],
      ['bottom', []],
    ]);
    expect(importCycles(diamond)).to.deep.equal([]);
  });

  it('fails `pnpm lint` on a cycle inside a package: lint runs the checker, which exits 1 naming the files', function () {
    // One child process with tsx on a shared two-core machine can take seconds to start.
    this.timeout(60_000);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(manifest.scripts.lint).to.contain('node --import tsx scripts/check-import-cycles.ts');
    const bad = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts/check-import-cycles.ts'), demoTree(tangled).root],
      { cwd: root, encoding: 'utf8' },
    );
    expect(bad.stderr).to.contain('import cycle in packages/demo: config.ts → limits.ts → config.ts\n');
    expect(bad.stderr).to.contain('import cycle in packages/demo: index.ts → sdp/answer.ts → index.ts\n');
    expect(bad.status).to.equal(1);
    const clean = { 'limits.ts': 'export const MAX = 8;\n', 'config.ts': "export { MAX } from './limits.ts';\n" };
    expect(packageCycles(demoTree(clean).root)).to.deep.equal([]);
  });
});
