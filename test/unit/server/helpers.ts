import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import * as openpgp from 'openpgp';
import { runAdmin, type AdminIO } from '../../../packages/server/src/admin/index.ts';
import { AuditLog, KeyStoreError, type AuditEntry, type AuditRecord, type KeyStore } from '../../../packages/server/src/keystore/index.ts';
import { INTEROP_DIR } from '../../helpers/interop.ts';

/** The interop corpus (test/helpers/interop.ts), under the name these tests use. */
export { INTEROP_DIR as INTEROP };

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** Every audit row of a state directory, read as `admin audit show` and `export` read them (AuditLog). */
export function auditRows(stateDir: string): AuditRecord[] {
  const log = AuditLog.open(stateDir);
  try {
    return [...log.rows()];
  } finally {
    log.close();
  }
}

/** Appends one audit row through the daemon's API (a batch of one) and returns it. */
export function recordAudit(store: KeyStore, entry: AuditEntry): AuditRecord {
  const [row, ...more] = store.recordAudits([entry]);
  if (row === undefined || more.length > 0) throw new Error('recordAudits must return exactly the row it wrote');
  return row;
}

export function readInterop(name: string): string {
  return fs.readFileSync(path.join(INTEROP_DIR, name), 'utf8');
}

/**
 * Verifies a detached binary signature with gpg in a throwaway GNUPGHOME.
 * Returns gpg's status lines; throws (the test fails) when gpg is missing or says BAD.
 */
export function gpgVerify(publicArmored: string, data: Buffer, signature: Buffer): string {
  const home = tempDir();
  try {
    fs.chmodSync(home, 0o700);
    fs.writeFileSync(path.join(home, 'key.asc'), publicArmored);
    fs.writeFileSync(path.join(home, 'data'), data);
    fs.writeFileSync(path.join(home, 'data.sig'), signature);
    execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', '--import', path.join(home, 'key.asc')], { stdio: 'pipe' });
    const result = spawnSync('gpg', ['--homedir', home, '--batch', '--status-fd', '1', '--verify', path.join(home, 'data.sig'), path.join(home, 'data')], { encoding: 'utf8' });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`gpg --verify failed (${result.status}): ${result.stdout}${result.stderr}`);
    return result.stdout;
  } finally {
    spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
    removeDir(home);
  }
}

/** openpgp.js verification of a detached binary signature; throws when invalid. */
export async function openpgpVerify(publicArmored: string, data: Buffer, signature: Buffer): Promise<string> {
  const verificationKeys = await openpgp.readKey({ armoredKey: publicArmored });
  const message = await openpgp.createMessage({ binary: data });
  const sig = await openpgp.readSignature({ binarySignature: signature });
  const { signatures } = await openpgp.verify({ message, signature: sig, verificationKeys, expectSigned: true });
  if (signatures.length !== 1) throw new Error(`expected one signature, got ${signatures.length}`);
  await signatures[0]!.verified;
  return signatures[0]!.keyID.toHex().toUpperCase();
}

export interface ParsedSubpacket {
  readonly typeByte: number;
  readonly body: Buffer;
}

export interface ParsedSignature {
  readonly headerByte: number;
  readonly version: number;
  readonly sigType: number;
  readonly pubkeyAlgorithm: number;
  readonly hashAlgorithm: number;
  readonly hashed: ParsedSubpacket[];
  readonly unhashed: ParsedSubpacket[];
  readonly left16: Buffer;
  readonly mpis: Buffer[];
}

function parseSubpackets(area: Buffer): ParsedSubpacket[] {
  const out: ParsedSubpacket[] = [];
  let off = 0;
  while (off < area.length) {
    const b0 = area[off]!;
    let len: number;
    if (b0 < 192) {
      len = b0;
      off += 1;
    } else if (b0 < 255) {
      len = ((b0 - 192) << 8) + area[off + 1]! + 192;
      off += 2;
    } else {
      len = area.readUInt32BE(off + 1);
      off += 5;
    }
    out.push({ typeByte: area[off]!, body: area.subarray(off + 1, off + len) });
    off += len;
  }
  if (off !== area.length) throw new Error('subpacket area overruns');
  return out;
}

/** An independent parser for new-format v4 signature packets, for byte-wise assertions. */
export function parseSignaturePacket(packet: Buffer): ParsedSignature {
  const headerByte = packet[0]!;
  if (headerByte !== 0xc2) throw new Error(`not a new-format signature packet: ${headerByte.toString(16)}`);
  let off = 1;
  let len: number;
  const l0 = packet[1]!;
  if (l0 < 192) {
    len = l0;
    off = 2;
  } else if (l0 < 224) {
    len = ((l0 - 192) << 8) + packet[2]! + 192;
    off = 3;
  } else if (l0 === 255) {
    len = packet.readUInt32BE(2);
    off = 6;
  } else throw new Error('partial length');
  if (off + len !== packet.length) throw new Error(`packet length ${len} does not match ${packet.length - off} bytes`);
  const body = packet.subarray(off);
  const hashedLen = body.readUInt16BE(4);
  const hashed = parseSubpackets(body.subarray(6, 6 + hashedLen));
  const unhashedLen = body.readUInt16BE(6 + hashedLen);
  const uStart = 8 + hashedLen;
  const unhashed = parseSubpackets(body.subarray(uStart, uStart + unhashedLen));
  let p = uStart + unhashedLen;
  const left16 = body.subarray(p, p + 2);
  p += 2;
  const mpis: Buffer[] = [];
  while (p < body.length) {
    const bits = body.readUInt16BE(p);
    const n = Math.ceil(bits / 8);
    mpis.push(body.subarray(p + 2, p + 2 + n));
    p += 2 + n;
  }
  if (p !== body.length) throw new Error('MPI overrun');
  return { headerByte, version: body[0]!, sigType: body[1]!, pubkeyAlgorithm: body[2]!, hashAlgorithm: body[3]!, hashed, unhashed, left16, mpis };
}

/** Awaits `promise` (or calls `fn`) and checks it fails with KeyStoreError `code`; returns the error. */
export async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<KeyStoreError> {
  const p = typeof promise === 'function' ? (async () => promise())() : promise;
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof KeyStoreError) || caught.code !== code) {
    throw new Error(`expected KeyStoreError ${code}, got ${String((caught as { code?: string } | undefined)?.code)}: ${String(caught)}`);
  }
  return caught;
}

/** A stdin for the admin CLI: a terminal or not, typing `typed` lines one by one when read. */
export class FakeStdin extends EventEmitter {
  isTTY: boolean;
  raw = false;
  typed: string[];
  constructor(isTTY: boolean, typed: string[] = []) {
    super();
    this.isTTY = isTTY;
    this.typed = typed;
  }
  setRawMode(mode: boolean): this {
    this.raw = mode;
    return this;
  }
  resume(): this {
    // Type the next line once someone listens, as a user at a terminal would.
    const line = this.typed.shift();
    if (line !== undefined) setImmediate(() => this.emit('data', Buffer.from(line)));
    return this;
  }
  pause(): this {
    return this;
  }
}

/** Runs `signet-server admin --state STATE ARGS` in-process; returns its exit code and output. */
export async function runAdminAt(state: string, args: string[], stdin: FakeStdin = new FakeStdin(false)): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: AdminIO = { stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {} };
  const code = await runAdmin(['--state', state, ...args], io);
  return { code, stdout, stderr };
}

/** Writes `content` to `dir/name` with mode 0600 (a passphrase file); returns its path. */
export function secretFileIn(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}
