import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/run.ts';

/**
 * Threat: a bridge that *could* read the session. The bridge must not even contain the
 * code to decode end-to-end frames, parse RPM headers or handle OpenPGP: walk the import
 * graph of every bridge source file — relative imports and workspace packages followed,
 * type-only and dynamic imports included — and find none of the end-to-end protocol
 * (@signet/protocol/e2e, packages/protocol/src/e2e/**), @signet/rpm, openpgp, the server
 * or the client.
 */

interface Workspace {
  name: string;
  dir: string;
  exports: Record<string, string>;
}

function workspaces(): Map<string, Workspace> {
  const out = new Map<string, Workspace>();
  const dirs = [...fs.readdirSync(path.join(ROOT, 'packages')).map((d) => path.join(ROOT, 'packages', d)), path.join(ROOT, 'pki')];
  for (const dir of dirs) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; exports?: string | Record<string, string> };
    const exports = typeof pkg.exports === 'string' ? { '.': pkg.exports } : (pkg.exports ?? {});
    out.set(pkg.name, { name: pkg.name, dir, exports });
  }
  return out;
}

interface Graph {
  /** Source files reached (absolute). */
  files: Set<string>;
  /** Every import edge: importer → specifier (and the file it resolved to, if ours). */
  edges: Array<{ from: string; spec: string; to?: string }>;
}

/** All .ts files under `dir`. */
function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

function walk(roots: string[]): Graph {
  const ws = workspaces();
  const graph: Graph = { files: new Set(), edges: [] };
  const queue = [...roots];
  const resolve = (from: string, spec: string): string | undefined => {
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(from), spec);
      if (!fs.existsSync(target)) throw new Error(`${from}: cannot resolve ${spec}`);
      return target;
    }
    const m = /^(@signet\/[^/]+)(\/.*)?$/.exec(spec);
    if (!m) return undefined; // node: built-ins and third-party packages are leaves
    const pkg = ws.get(m[1] as string);
    if (!pkg) throw new Error(`${from}: unknown workspace package ${spec}`);
    const sub = m[2] ? `.${m[2]}` : '.';
    const rel = pkg.exports[sub];
    if (!rel) throw new Error(`${from}: ${spec} is not exported by ${pkg.name}`);
    return path.resolve(pkg.dir, rel);
  };
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (graph.files.has(file)) continue;
    graph.files.add(file);
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      const to = resolve(file, spec);
      graph.edges.push(to === undefined ? { from: file, spec } : { from: file, spec, to });
      if (to !== undefined) queue.push(to);
    }
  }
  return graph;
}

const FORBIDDEN_SPECS = [/^@signet\/protocol\/e2e(\/|$)/, /^@signet\/rpm(\/|$)/, /^@signet\/server(\/|$)/, /^@signet\/client(\/|$)/, /^openpgp(\/|$)/, /^libsodium/];
const FORBIDDEN_DIRS = ['packages/protocol/src/e2e', 'packages/rpm', 'packages/server', 'packages/client'].map((d) => path.join(ROOT, d) + path.sep);

function violations(g: Graph): string[] {
  const rel = (f: string): string => path.relative(ROOT, f);
  const out: string[] = [];
  for (const e of g.edges) {
    if (FORBIDDEN_SPECS.some((re) => re.test(e.spec))) out.push(`${rel(e.from)} imports ${e.spec}`);
  }
  for (const f of g.files) if (FORBIDDEN_DIRS.some((d) => f.startsWith(d))) out.push(`reaches ${rel(f)}`);
  return out;
}

const bridgeGraph = walk(tsFiles(path.join(ROOT, 'packages/bridge/src')));

describe('the bridge holds no code that could decode the session', () => {
  it('the walk covers the bridge and what it uses (not vacuous)', () => {
    const rel = new Set([...bridgeGraph.files].map((f) => path.relative(ROOT, f)));
    for (const f of ['packages/bridge/src/bridge.ts', 'packages/bridge/src/relay.ts', 'packages/bridge/src/main.ts', 'packages/protocol/src/index.ts', 'packages/protocol/src/link/ws-duplex.ts']) {
      expect(rel.has(f)).toBe(true);
    }
    const externals = new Set(bridgeGraph.edges.filter((e) => e.to === undefined).map((e) => e.spec));
    expect(externals.has('ws')).toBe(true);
  });

  it('imports nothing of the end-to-end protocol, RPM, OpenPGP, the server or the client', () => {
    expect(violations(bridgeGraph)).toEqual([]);
  });

  it('control: the same walk from the server does find those imports', () => {
    const found = violations(walk(tsFiles(path.join(ROOT, 'packages/server/src'))));
    expect(found.some((v) => v.includes('@signet/protocol/e2e'))).toBe(true);
    expect(found.some((v) => v.includes('reaches packages/protocol/src/e2e/frame.ts'))).toBe(true);
    expect(found.some((v) => v.includes('imports openpgp'))).toBe(true);
    expect(found.some((v) => v.includes('@signet/rpm'))).toBe(true);
  });
});
