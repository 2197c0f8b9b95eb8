import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAdmin, type AdminIO } from '../../../packages/server/src/admin/index.ts';
import {
  AuditLog, BACKUP_MAGIC, createBackup, KeyStore, parseBackupHeader, restoreBackup, SCHEMA_VERSION,
} from '../../../packages/server/src/keystore/index.ts';
import { auditRows, recordAudit, removeDir, tempDir } from './helpers.ts';
import { codeOf } from '../../helpers/error-code.ts';

let dir: string;
let state: string;

const SRC = path.resolve(import.meta.dirname, '../../../packages/server/src/keystore');
const noInput = { isTTY: false, on: () => undefined, removeListener: () => undefined, resume: () => undefined, pause: () => undefined };

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: AdminIO = { stdin: noInput, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {} };
  const code = await runAdmin(args, io);
  return { code, stdout, stderr };
}


function verifyState(stateDir: string): ReturnType<AuditLog['verify']> {
  const log = AuditLog.open(stateDir);
  try {
    return log.verify();
  } finally {
    log.close();
  }
}

async function users(stateDir: string): Promise<string[]> {
  const s = await KeyStore.open(stateDir, { argon2: 'min' });
  try {
    return s.listUsers().map((u) => u.name);
  } finally {
    s.close();
  }
}

beforeEach(async () => {
  dir = tempDir();
  state = path.join(dir, 'state');
  const store = await KeyStore.init(state, { argon2: 'min' });
  try {
    store.addUser('alice');
    store.addUser('bob');
    for (let i = 0; i < 10; i++) recordAudit(store, { user: 'alice', keyFingerprint: 'A'.repeat(40), kind: 'data', subject: `data:${i} bytes`, sha256: 'ab'.repeat(32), requestId: `r${i}` });
  } finally {
    store.close();
  }
});

afterEach(() => removeDir(dir));

describe('backup and restore', () => {
  it('writes a 0600 backup with a manifest, and restores it into a new directory with the chain verified', async () => {
    const file = path.join(dir, 'b1.signet-backup');
    const { manifest } = createBackup(state, file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).sort()).toEqual(['b1.signet-backup', 'state']);
    const bytes = fs.readFileSync(file);
    expect(bytes.subarray(0, BACKUP_MAGIC.length).toString()).toBe(BACKUP_MAGIC);
    const { manifest: parsed, offset } = parseBackupHeader(bytes.subarray(0, 8192));
    expect(parsed).toEqual(manifest);
    expect(manifest).toMatchObject({ format: 1, schemaVersion: SCHEMA_VERSION, auditRows: 13, auditHead: { seq: 13 }, auditIntact: true, dbBytes: bytes.length - offset });
    // The backup records itself, in the live chain and in the snapshot.
    const live = verifyState(state);
    expect(live).toMatchObject({ ok: true, head: manifest.auditHead });

    const target = path.join(dir, 'restored');
    const r = restoreBackup(file, target);
    expect(r).toMatchObject({ replacedMovedTo: null, head: { seq: 14 } });
    expect(fs.statSync(target).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(target, 'signet.db')).mode & 0o777).toBe(0o600);
    expect(await users(target)).toEqual(['alice', 'bob']);
    expect(verifyState(target)).toMatchObject({ ok: true, rows: 14, chainId: live.chainId });
    const s = await KeyStore.open(target, { argon2: 'min' });
    expect(auditRows(s.stateDir).slice(-2).map((a) => [a.kind, a.user])).toEqual([['backup', '(console)'], ['restore', '(console)']]);
    s.close();
    expect(fs.readdirSync(dir).filter((f) => f.includes('.restore-'))).toEqual([]);
  });

  it('refuses an existing backup file and an existing state without --force; --force keeps the old state aside', async () => {
    const file = path.join(dir, 'b.bak');
    createBackup(state, file);
    expect(codeOf(() => createBackup(state, file))).toBe('BACKUP_EXISTS');
    expect(codeOf(() => restoreBackup(file, state))).toBe('RESTORE_EXISTS');
    const s = await KeyStore.open(state, { argon2: 'min' });
    s.addUser('carol'); // a change after the backup
    s.close();
    const r = restoreBackup(file, state, { force: true });
    expect(r.replacedMovedTo).toMatch(/state\.replaced-/);
    expect(await users(state)).toEqual(['alice', 'bob']);
    expect(await users(r.replacedMovedTo as string)).toEqual(['alice', 'bob', 'carol']);
    // An empty directory is not a store: restoring into it needs no --force.
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    expect(restoreBackup(file, empty).replacedMovedTo).toBeNull();
  });

  it('refuses damaged, truncated, foreign and newer-schema backups, leaving nothing behind', () => {
    const file = path.join(dir, 'b.bak');
    createBackup(state, file);
    const good = fs.readFileSync(file);
    const { offset } = parseBackupHeader(good.subarray(0, 8192));
    const variant = (name: string, bytes: Buffer): string => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, bytes);
      return f;
    };
    const flipped = Buffer.from(good);
    flipped[offset + 5000] = (flipped[offset + 5000] as number) ^ 1;
    const target = path.join(dir, 'target');
    expect(codeOf(() => restoreBackup(variant('flip', flipped), target))).toBe('BACKUP_CORRUPT');
    expect(codeOf(() => restoreBackup(variant('short', good.subarray(0, good.length - 1)), target))).toBe('BACKUP_CORRUPT');
    expect(codeOf(() => restoreBackup(variant('long', Buffer.concat([good, Buffer.from('x')])), target))).toBe('BACKUP_CORRUPT');
    expect(codeOf(() => restoreBackup(variant('db', good.subarray(offset)), target))).toBe('BACKUP_CORRUPT');
    expect(codeOf(() => restoreBackup(variant('json', Buffer.concat([Buffer.from(`${BACKUP_MAGIC}{"format":1}\n`), good.subarray(offset)])), target))).toBe('BACKUP_CORRUPT');
    expect(codeOf(() => restoreBackup(path.join(dir, 'missing'), target))).toBe('BACKUP_CORRUPT');
    const header = good.subarray(0, offset).toString().replace(`"schemaVersion":${SCHEMA_VERSION}`, `"schemaVersion":${SCHEMA_VERSION + 1}`);
    expect(codeOf(() => restoreBackup(variant('newer', Buffer.concat([Buffer.from(header), good.subarray(offset)])), target))).toBe('SCHEMA_TOO_NEW');
    // A manifest edited to claim another schema than its database holds.
    const older = good.subarray(0, offset).toString().replace(`"schemaVersion":${SCHEMA_VERSION}`, '"schemaVersion":1');
    expect(codeOf(() => restoreBackup(variant('older', Buffer.concat([Buffer.from(older), good.subarray(offset)])), target))).toBe('BACKUP_CORRUPT');
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses to restore a backup whose audit chain was tampered with', () => {
    const db = new DatabaseSync(path.join(state, 'signet.db'));
    db.exec("DROP TRIGGER audit_no_update; UPDATE audit SET subject = 'data:0 bytez' WHERE seq = 3; CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;");
    db.close();
    const file = path.join(dir, 'b.bak');
    expect(createBackup(state, file).manifest.auditIntact).toBe(false);
    const target = path.join(dir, 'target');
    expect(codeOf(() => restoreBackup(file, target))).toBe('AUDIT_CHAIN_BROKEN');
    expect(fs.existsSync(target)).toBe(false);
  });

  it('takes consistent backups while another process keeps appending', async () => {
    const stop = path.join(dir, 'stop');
    const script = `
      import fs from 'node:fs';
      const { openDatabase } = await import(${JSON.stringify(pathToFileURL(path.join(SRC, 'database.ts')).href)});
      const { appendAudit } = await import(${JSON.stringify(pathToFileURL(path.join(SRC, 'audit-append.ts')).href)});
      const db = openDatabase(${JSON.stringify(state)});
      let n = 0;
      console.log('ready');
      while (!fs.existsSync(${JSON.stringify(stop)}) && n < 200000) {
        appendAudit(db, { time: new Date().toISOString(), user: 'bob', keyFingerprint: null, kind: 'data', subject: 'w' + n++, sha256: null, requestId: null });
        // A busy signing server, not a lock-hogging loop: SQLite's busy handler cannot
        // win against a writer that re-takes the lock the instant it lets go.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
      }
      db.close();
      console.log('wrote ' + n);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    while (!out.includes('ready')) {
      if (child.exitCode !== null) throw new Error(`writer died: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const heads: number[] = [];
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const file = path.join(dir, `live-${i}.bak`);
      const res = await admin('--state', state, 'backup', '--to', file, '--json');
      expect(res, res.stderr).toMatchObject({ code: 0, stderr: '' });
      const restored = path.join(dir, `restored-${i}`);
      const r = await admin('--state', restored, 'restore', '--from', file);
      expect(r, r.stderr).toMatchObject({ code: 0 });
      const v = verifyState(restored);
      expect(v.ok).toBe(true);
      heads.push(v.rows);
    }
    fs.writeFileSync(stop, '');
    expect(await exited).toBe(0);
    expect(out).toMatch(/wrote [1-9][0-9]*/);
    // Each snapshot saw more of the writer's rows than the one before.
    expect(heads.every((h, i) => i === 0 || h > (heads[i - 1] as number))).toBe(true);
    expect(verifyState(state).ok).toBe(true);
  });

  it('runs from the admin CLI with its usage rules', async () => {
    const file = path.join(dir, 'cli.bak');
    const b = await admin('--state', state, 'backup', '--to', file);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/^wrote backup .*cli\.bak \(mode 0600\): schema \d+, \d+ database bytes, sha256 [0-9a-f]{64}\naudit head: seq 13 hash [0-9a-f]{64}\n$/);
    expect((await admin('--state', state, 'backup', '--to', file)).stderr).toContain('[BACKUP_EXISTS]');
    expect((await admin('--state', state, 'restore', '--from', file)).stderr).toContain('[RESTORE_EXISTS]');
    const forced = await admin('--state', state, 'restore', '--from', file, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('the previous state directory was moved to');
    expect((await admin('--state', state, 'backup')).code).toBe(2);
    expect((await admin('--state', state, 'restore')).code).toBe(2);
    expect((await admin('--state', state, 'backup', '--to', file, '--force')).code).toBe(2);
    expect((await admin('--state', state, 'backup', '--to', path.join(dir, 'no', 'such', 'dir.bak'))).stderr).toContain('[BACKUP_FAILED]');
  });
});
