import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RPM_ERROR_CODES } from '@signet/rpm';
import { PKI_ERROR_CODES } from '@signet/pki';
import { KEYSTORE_ERROR_CODES } from '../../../packages/server/src/keystore/index.ts';
import { SIGNING_ERROR_CODES } from '../../../packages/server/src/signing/index.ts';
import { ADMIN_ERROR_CODES } from '../../../packages/server/src/admin/index.ts';
import { KOJI_ERROR_CODES } from '../../../packages/client/src/koji/index.ts';
import { KOJI_SIGN_ERROR_CODES } from '../../../packages/client/src/koji/sign-errors.ts';
import { BridgeConfig } from '../../../packages/bridge/src/config.ts';
import { ServerConfig } from '../../../packages/server/src/config.ts';
import { ClientConfig } from '../../../packages/client/src/config.ts';

/**
 * Keeps the reference documentation in step with the code: every stable error code is in
 * docs/errors.md, every configuration key (with its default) is in docs/configuration.md,
 * and neither document lists a code or key the code no longer has.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');

// ---------------------------------------------------------------- error codes

/** Code lists exported as values. */
const EXPORTED_LISTS: Record<string, readonly string[]> = {
  '@signet/rpm RPM_ERROR_CODES': RPM_ERROR_CODES,
  '@signet/pki PKI_ERROR_CODES': PKI_ERROR_CODES,
  'keystore KEYSTORE_ERROR_CODES': KEYSTORE_ERROR_CODES,
  'signing SIGNING_ERROR_CODES': SIGNING_ERROR_CODES,
  'admin ADMIN_ERROR_CODES': ADMIN_ERROR_CODES,
  'koji KOJI_ERROR_CODES': KOJI_ERROR_CODES,
  'koji KOJI_SIGN_ERROR_CODES': KOJI_SIGN_ERROR_CODES,
};

/** Areas whose codes exist only as a type union (or a literal type argument) in source. */
const UNION_FILES = [
  'packages/protocol/src/protocol-error.ts',
  'packages/protocol/src/roles.ts',
  'packages/protocol/src/tls/peer.ts',
  'packages/protocol/src/tls/material.ts',
  'packages/bridge/src/errors.ts',
  'packages/server/src/errors.ts',
  'packages/client/src/errors.ts',
];

const CODE_LITERAL = /'([A-Z][A-Z0-9_]*)'/g;

/**
 * String literals of `export type FooErrorCode = 'A' | 'B';` and of
 * `extends SignetError<'A' | 'B'>` in a source file.
 */
function unionCodes(source: string): string[] {
  const codes = new Set<string>();
  const bodies = [
    ...[...source.matchAll(/export\s+type\s+\w*ErrorCode\s*=([^;]+);/g)].map((m) => m[1] as string),
    ...[...source.matchAll(/extends\s+SignetError<([^>]+)>/g)].map((m) => m[1] as string),
  ];
  for (const body of bodies) for (const m of body.matchAll(CODE_LITERAL)) codes.add(m[1] as string);
  return [...codes];
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const SOURCE_DIRS = [
  'packages/protocol/src',
  'packages/rpm/src',
  'packages/client/src',
  'packages/bridge/src',
  'packages/server/src',
  'pki/src',
];
const ALL_SOURCES = SOURCE_DIRS.flatMap(sourceFiles);

/**
 * Codes passed literally where errors are made: `new XxxError('CODE', …)` (any subclass),
 * wire error objects `code: 'CODE'`, and the bridge's `refuse(ws, 'CODE', …)`.
 */
function thrownCodes(source: string): string[] {
  const codes = new Set<string>();
  for (const m of source.matchAll(/new\s+(\w*Error)\(\s*'([A-Z][A-Z0-9_]*)'/g)) {
    if (!['Error', 'TypeError', 'RangeError', 'SyntaxError'].includes(m[1] as string)) codes.add(m[2] as string);
  }
  for (const m of source.matchAll(/\bcode:\s*'([A-Z][A-Z0-9_]*)'/g)) codes.add(m[1] as string);
  for (const m of source.matchAll(/\brefuse\(\s*\w+,\s*'([A-Z][A-Z0-9_]*)'/g)) codes.add(m[1] as string);
  return [...codes];
}

const ERRORS_DOC = 'docs/errors.md';

/** Codes named in the first column of the tables of docs/errors.md. */
function documentedCodes(doc: string): Set<string> {
  const codes = new Set<string>();
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(line);
    if (m) codes.add(m[1] as string);
  }
  return codes;
}

describe('docs/errors.md lists every stable error code', () => {
  const documented = documentedCodes(read(ERRORS_DOC));

  it('finds codes in the document, and the check rejects an unknown code', () => {
    expect(documented.size).toBeGreaterThan(50);
    expect(documented.has('NOT_A_SIGNET_CODE')).toBe(false);
  });

  for (const [name, list] of Object.entries(EXPORTED_LISTS)) {
    it(`has every code of ${name}`, () => {
      expect(list.length).toBeGreaterThan(0);
      expect(list.filter((code) => !documented.has(code))).toEqual([]);
    });
  }

  for (const file of UNION_FILES) {
    it(`has every code of the union in ${file}`, () => {
      const codes = unionCodes(read(file));
      // The parse must find something, or a reshaped file would make this test vacuous.
      expect(codes.length).toBeGreaterThan(0);
      expect(codes.filter((code) => !documented.has(code))).toEqual([]);
    });
  }

  it('has every code passed literally where errors are raised', () => {
    const codes = new Set(ALL_SOURCES.flatMap((file) => thrownCodes(read(file))));
    expect(codes.size).toBeGreaterThan(50);
    expect([...codes].filter((code) => !documented.has(code)).sort()).toEqual([]);
  });

  it('lists no code that the code base no longer contains', () => {
    const text = ALL_SOURCES.map(read).join('\n');
    const stale = [...documented].filter((code) => !text.includes(`'${code}'`) && !text.includes(`${code}:`));
    expect(stale).toEqual([]);
  });

  it('parses unions and raise sites as intended', () => {
    expect(unionCodes("export type XErrorCode = 'A_B' | 'C';\nclass Y extends SignetError<'D'> {}").sort()).toEqual(['A_B', 'C', 'D']);
    expect(thrownCodes("throw new FooError('E_F', 'm'); new RangeError('G'); x = { code: 'H' }; refuse(ws, 'I', 'm')").sort()).toEqual(['E_F', 'H', 'I']);
  });
});

// ---------------------------------------------------------------- configuration keys

interface ZodDef {
  type: string;
  innerType?: ZodLike;
  shape?: Record<string, ZodLike>;
  defaultValue?: unknown;
}
interface ZodLike {
  _zod: { def: ZodDef };
}

type Presence = { kind: 'required' } | { kind: 'optional' } | { kind: 'default'; value: unknown };

interface ConfigLeaf {
  path: string;
  presence: Presence;
}

/** Every leaf key of a zod 4 object schema, as a dotted path, with how it may be absent. */
function configLeaves(schema: ZodLike, prefix = ''): ConfigLeaf[] {
  let node = schema;
  let presence: Presence | undefined;
  for (;;) {
    const def = node._zod.def;
    if (def.type === 'default') presence ??= { kind: 'default', value: def.defaultValue };
    else if (def.type === 'optional') presence ??= { kind: 'optional' };
    else if (def.type !== 'prefault' && def.type !== 'nullable') break;
    node = def.innerType as ZodLike;
  }
  const def = node._zod.def;
  if (def.type === 'object' && def.shape !== undefined) {
    return Object.entries(def.shape).flatMap(([key, child]) => configLeaves(child, prefix === '' ? key : `${prefix}.${key}`));
  }
  return [{ path: prefix, presence: presence ?? { kind: 'required' } }];
}

const CONFIG_DOC = 'docs/configuration.md';

/** The part of `doc` under the level-2 heading `heading`, up to the next level-2 heading. */
function section(doc: string, heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`${CONFIG_DOC} has no section "## ${heading}"`);
  const next = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, next < 0 ? undefined : next);
}

/** Table rows of a section keyed by their first cell (a backticked key): the row's cells. */
function keyRows(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([A-Za-z][A-Za-z0-9.]*)`\s*\|/.exec(line);
    if (!m) continue;
    rows.set(m[1] as string, line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const CONFIGS: Array<{ name: string; heading: string; schema: ZodLike }> = [
  { name: 'BridgeConfig', heading: 'Bridge configuration', schema: BridgeConfig as unknown as ZodLike },
  { name: 'ServerConfig', heading: 'Server configuration', schema: ServerConfig as unknown as ZodLike },
  { name: 'ClientConfig', heading: 'Client configuration', schema: ClientConfig as unknown as ZodLike },
];

describe('docs/configuration.md documents every configuration key', () => {
  const doc = read(CONFIG_DOC);

  for (const { name, heading, schema } of CONFIGS) {
    describe(name, () => {
      const leaves = configLeaves(schema);
      const rows = keyRows(section(doc, heading));

      it('has a row for every key of the schema', () => {
        expect(leaves.length).toBeGreaterThan(5);
        expect(leaves.map((l) => l.path).filter((p) => !rows.has(p))).toEqual([]);
      });

      it('states each default (or that the key is required or optional) as the schema does', () => {
        const wrong: string[] = [];
        for (const leaf of leaves) {
          const cell = rows.get(leaf.path)?.[2];
          if (cell === undefined) continue; // reported by the test above
          const expected =
            leaf.presence.kind === 'default' ? `\`${JSON.stringify(leaf.presence.value)}\`` : leaf.presence.kind;
          if (!cell.includes(expected)) wrong.push(`${leaf.path}: default column "${cell}" lacks ${expected}`);
        }
        expect(wrong).toEqual([]);
      });

      it('documents no key the schema does not have', () => {
        const known = new Set(leaves.map((l) => l.path));
        expect([...rows.keys()].filter((k) => !known.has(k))).toEqual([]);
      });
    });
  }

  it('walks nested, defaulted and optional keys, and notices a missing row', () => {
    const leaves = configLeaves(ServerConfig as unknown as ZodLike);
    const byPath = new Map(leaves.map((l) => [l.path, l.presence]));
    expect(byPath.get('stateDir')).toEqual({ kind: 'required' });
    expect(byPath.get('bridge.servername')).toEqual({ kind: 'optional' });
    expect(byPath.get('limits.maxInFlightPerSession')).toEqual({ kind: 'default', value: 64 });
    const rows = keyRows('| `a.b` | x | `1` | y |\n| `c` | x | required | y |');
    expect([...rows.keys()]).toEqual(['a.b', 'c']);
    expect(rows.has('limits.maxInFlightPerSession')).toBe(false);
  });
});
