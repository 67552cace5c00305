// The import graph of a package's source and the cycles in it, shared by test/architecture.test.ts
// and scripts/check-import-cycles.ts (which `pnpm lint` runs). Imports are read with the TypeScript
// scanner rather than a regular expression, so `import type`, `export … from`, side-effect imports,
// `import()` and `import('…').Type` all count, and text in comments or strings does not. Type-only
// imports count because a type circle is still a pair of modules neither of which can be read or
// moved without the other, and it turns into a load-order bug the day one side gains a value import.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Every `.ts` file under `dir`, sorted, so reports come out in the same order on every machine. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** The module specifiers one file imports or re-exports from, type-only ones included. */
export function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/**
 * Each file under `srcDir` → the files under `srcDir` it imports. A relative specifier resolves
 * against the importing file; the package's own name (`selfName`) resolves to its `index.ts`, since
 * a module importing its own package goes round through the index.
 */
export function importGraph(srcDir: string, selfName?: string): Map<string, string[]> {
  const files = sourceFiles(srcDir);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const spec of importsOf(file)) {
      const target = spec.startsWith('.')
        ? resolve(dirname(file), spec)
        : spec === selfName
          ? join(srcDir, 'index.ts')
          : undefined;
      if (target !== undefined && known.has(target)) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/**
 * One cycle for each strongly connected component of the graph that has one (two or more files
 * reaching each other, or a file importing itself), as the shortest path from the component's first
 * file back to itself: `[a, b, a]`. Empty when the graph has no cycle. Tarjan's algorithm, so a
 * tangle of many files is reported once, not once per back edge.
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfLoop = (graph.get(node) ?? []).includes(node);
    if (component.length > 1 || selfLoop) components.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return components
    .map((component) => shortestLoop(graph, component))
    .sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/**
 * One line per cycle inside any package under `root`/packages (`import cycle in packages/sip:
 * a.ts → b.ts → a.ts`), each package's own name taken from its manifest. Empty when there is none.
 */
export function packageCycles(root: string): string[] {
  const packagesDir = join(root, 'packages');
  const lines: string[] = [];
  for (const pkg of readdirSync(packagesDir).sort()) {
    const srcDir = join(packagesDir, pkg, 'src');
    if (!existsSync(srcDir)) continue;
    const manifest = join(packagesDir, pkg, 'package.json');
    const name = existsSync(manifest)
      ? (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name
      : undefined;
    for (const cycle of importCycles(importGraph(srcDir, name)))
      lines.push(`import cycle in packages/${pkg}: ${cycle.map((f) => relative(srcDir, f)).join(' → ')}`);
  }
  return lines;
}

/** Breadth-first from the component's first member back to it, staying inside the component. */
function shortestLoop(graph: ReadonlyMap<string, readonly string[]>, component: string[]): string[] {
  const start = component[0] as string;
  const inside = new Set(component);
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as string;
    for (const next of graph.get(node) ?? []) {
      if (!inside.has(next)) continue;
      if (next === start) {
        const between: string[] = [];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = cameFrom.get(at))
          between.unshift(at);
        return [start, ...between, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}
