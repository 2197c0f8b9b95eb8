import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAdmin, type AdminIO } from '../../../packages/server/src/admin/index.ts';
import { genesisHash, KeyStore, rowHash, type AuditRecord } from '../../../packages/server/src/keystore/index.ts';
import { auditRows, recordAudit, removeDir, tempDir } from './helpers.ts';

let dir: string;
let state: string;

const noInput = { isTTY: false, on: () => undefined, removeListener: () => undefined, resume: () => undefined, pause: () => undefined };

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: AdminIO = { stdin: noInput, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {} };
  const code = await runAdmin(['--state', state, ...args], io);
  return { code, stdout, stderr };
}

const A = 'A'.repeat(40);
const B = 'B'.repeat(40);

beforeEach(async () => {
  dir = tempDir();
  state = path.join(dir, 'state');
  let t = Date.parse('2030-01-01T00:00:00Z');
  const store = await KeyStore.init(state, { argon2: 'min', now: () => new Date((t += 3_600_000)) });
  try {
    store.addUser('alice');
    store.addUser('bob');
    for (let i = 0; i < 30; i++) {
      recordAudit(store, { user: i % 2 ? 'bob' : 'alice', keyFingerprint: i < 20 ? A : B, kind: 'rpm-header', subject: `p${i}-0:1-1.noarch`, sha256: 'ab'.repeat(32), requestId: `r${i}` });
    }
  } finally {
    store.close();
  }
});

afterEach(() => removeDir(dir));

describe('admin audit', () => {
  it('show: most recent rows, filters, the head; --json', async () => {
    const all = await admin('audit', 'show');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SEQ +TIME +USER +KIND +KEY +SUBJECT$/);
    expect(lines).toHaveLength(1 + 32 + 1);
    expect(lines.at(-1)).toMatch(/^head: seq 32 hash [0-9a-f]{64}$/);

    const json = JSON.parse((await admin('audit', 'show', '--json', '--user', 'bob', '--key', B, '--limit', '3')).stdout) as { head: { seq: number }; entries: AuditRecord[] };
    expect(json.head.seq).toBe(32);
    expect(json.entries.map((e) => e.subject)).toEqual(['p25-0:1-1.noarch', 'p27-0:1-1.noarch', 'p29-0:1-1.noarch']);
    // Rows are at least an hour apart (the injected clock).
    const t31 = ((JSON.parse((await admin('audit', 'show', '--json')).stdout) as { entries: AuditRecord[] }).entries[30]?.time as string);
    const since = JSON.parse((await admin('audit', 'show', '--json', '--since', t31)).stdout) as { entries: AuditRecord[] };
    expect(since.entries.map((e) => e.seq)).toEqual([31, 32]);
    expect((await admin('audit', 'show', '--key', 'nokey')).stderr).toContain('[KEY_NOT_FOUND]');
    for (const bad of [['--since', 'yesterday'], ['--limit', '0'], ['--limit', '100001'], ['--bogus']]) {
      expect((await admin('audit', 'show', ...bad)).code).toBe(2);
    }
  });

  it('verify: exit 0 with a summary; exit 1 naming the first bad seq; --expect-head', async () => {
    const ok = await admin('audit', 'verify');
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toContain('audit chain intact: 32 rows');
    const head = /head: seq 32 hash ([0-9a-f]{64})/.exec(ok.stdout)?.[1] as string;
    expect((await admin('audit', 'verify', '--expect-head', head)).stdout).toContain('found at seq 32');
    expect((await admin('audit', 'verify', '--expect-head', 'f'.repeat(64))).stderr).toContain('[AUDIT_HEAD_MISMATCH]');
    expect((await admin('audit', 'verify', '--expect-head', 'xyz')).code).toBe(1);

    const db = new DatabaseSync(path.join(state, 'signet.db'));
    db.exec("DROP TRIGGER audit_no_update; UPDATE audit SET subject = 'evil-0:1-1.noarch' WHERE seq = 17;");
    db.close();
    const bad = await admin('audit', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('audit chain BROKEN at seq 17: edited');
    expect(bad.stderr).toMatch(/audit chain broken at seq 17 \(edited\).*\[AUDIT_CHAIN_BROKEN\]/);
    const json = JSON.parse((await admin('audit', 'verify', '--json')).stdout) as { ok: boolean; break: { seq: number } };
    expect(json).toMatchObject({ ok: false, break: { seq: 17 } });
  });

  it('export: JSON lines that round-trip and re-verify offline; atomically to a file or to stdout', async () => {
    const file = path.join(dir, 'audit.jsonl');
    const res = await admin('audit', 'export', '-o', file);
    expect(res).toMatchObject({ code: 0, stdout: `wrote 32 audit rows to ${file}\n` });
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const text = fs.readFileSync(file, 'utf8');
    expect((await admin('audit', 'export', '-o', '-')).stdout).toBe(text);
    const rows = text.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    const store = await KeyStore.open(state, { argon2: 'min' });
    try {
      expect(rows).toEqual(auditRows(state));
    } finally {
      store.close();
    }
    expect(Object.keys(rows[0] as object)).toEqual(['seq', 'time', 'user', 'keyFingerprint', 'kind', 'subject', 'sha256', 'requestId', 'prevHash', 'hash']);
    let prev = rows[0]?.prevHash as string;
    const chainId = (JSON.parse((await admin('audit', 'show', '--json')).stdout) as { chainId: string }).chainId;
    expect(prev).toBe(genesisHash(chainId));
    for (const r of rows) {
      expect(r.prevHash).toBe(prev);
      expect(rowHash(r.seq, r, prev)).toBe(r.hash);
      prev = r.hash as string;
    }
    const since = (await admin('audit', 'export', '--since', rows[30]?.time as string, '-o', '-')).stdout.trim().split('\n');
    expect(since.map((l) => (JSON.parse(l) as AuditRecord).seq)).toEqual([31, 32]);
    expect((await admin('audit', 'export')).code).toBe(2);
    expect((await admin('audit', 'export', '-o', path.join(dir, 'missing', 'x.jsonl'))).stderr).toContain('[FILE_WRITE]');
  });
});
