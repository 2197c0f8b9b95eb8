import fs from 'node:fs';
import path from 'node:path';
import type { UserID } from 'openpgp';
import {
  KEY_TYPES, KeyStore, KeyStoreError, MAX_ARMORED_KEY_BYTES,
  type Argon2Level, type KeyInfo, type KeyType,
} from '../keystore/index.ts';
import { AdminError } from './errors.ts';
import type { AdminIO } from './io.ts';
import { obtainPassphrase } from './passphrase.ts';
import type { ParsedCommand } from './args.ts';
import { keyAdmin, runCustodyCommand } from './commands-custody.ts';
import { describe, isDirectory, keyJson, sigkey, table, writeOutput } from './format.ts';

/** Each admin command: parsed arguments in, lines on stdout out. */

const ARGON2_LEVELS: readonly Argon2Level[] = ['moderate', 'interactive', 'min'];

function argon2Level(value: string | undefined): Argon2Level {
  if (value === undefined) return 'moderate';
  if (!(ARGON2_LEVELS as readonly string[]).includes(value)) throw new AdminError('USAGE', `--argon2 must be one of ${ARGON2_LEVELS.join(', ')}`);
  return value as Argon2Level;
}

function keyType(value: string | undefined): KeyType {
  if (value === undefined || !(KEY_TYPES as readonly string[]).includes(value)) throw new AdminError('USAGE', `--type must be one of ${KEY_TYPES.join(', ')}`);
  return value as KeyType;
}

/** "Name <email>" or "Name". */
export function parseUid(value: string): UserID {
  if (value.length > 256 || !/^[\x20-\x7e]+$/.test(value)) throw new AdminError('USAGE', '--uid must be 1-256 printable ASCII characters');
  const m = /^\s*([^<>]*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (m) return m[1] ? { name: m[1], email: m[2] as string } : { email: m[2] as string };
  if (/[<>]/.test(value)) throw new AdminError('USAGE', '--uid must look like "Name <email@example.org>" or "Name"');
  return { name: value.trim() };
}

function readKeyFile(file: string): string {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new AdminError('FILE_READ', `${file} is not a regular file`);
    if (st.size > MAX_ARMORED_KEY_BYTES) throw new AdminError('FILE_READ', `${file} is larger than ${MAX_ARMORED_KEY_BYTES} bytes; export exactly one key`);
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof AdminError) throw err;
    throw new AdminError('FILE_READ', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}

export async function runCommand(cmd: ParsedCommand, io: AdminIO): Promise<void> {
  const { values, args, stateDir } = cmd;
  const out = (line: string): void => void io.stdout.write(`${line}\n`);

  const bindingFile = values['binding-file'];
  if (cmd.command === 'init') {
    const store = await KeyStore.init(stateDir, bindingFile === undefined ? {} : { bindingFile });
    store.close();
    out(`initialized ${path.join(path.resolve(stateDir), 'signet.db')}`);
    if (bindingFile !== undefined) {
      out(`bound to ${path.resolve(bindingFile)} (mode 0600): keep it off this disk and give it to every command (--binding-file) and to the daemon (binding.file); without it no key unlocks`);
    }
    return;
  }

  const store = await KeyStore.open(stateDir, { argon2: argon2Level(values.argon2), ...(bindingFile === undefined ? {} : { bindingFile }) });
  try {
    switch (cmd.command) {
      case 'user add': {
        store.addUser(args['NAME'] as string);
        out(`added user ${args['NAME']}`);
        return;
      }
      case 'user list': {
        const users = store.listUsers();
        if (values.json === true) out(JSON.stringify(users, null, 2));
        else io.stdout.write(table([['USER', 'CREATED', 'KEYS'], ...users.map((u) => [u.name, u.created, u.keys.join(',')])]));
        return;
      }
      case 'key generate': {
        const type = keyType(values.type);
        const user = values.user as string;
        const uid = values.uid === undefined ? undefined : parseUid(values.uid);
        const passphrase = await obtainPassphrase(io, { file: values['passphrase-file'], option: '--passphrase-file', prompt: `New access passphrase for ${user}: `, confirm: true });
        const info = await store.generateKey(args['NAME'] as string, type, user, passphrase, uid === undefined ? {} : { userId: uid });
        if (values.json === true) return out(keyJson(info));
        out(describe(info));
        out(`key admin: ${user}`);
        return;
      }
      case 'key import': {
        const user = values.user as string;
        const armored = readKeyFile(args['FILE'] as string);
        const passphrase = await obtainPassphrase(io, { file: values['passphrase-file'], option: '--passphrase-file', prompt: `New access passphrase for ${user}: `, confirm: true });
        let fileKeyPassphrase: string | undefined;
        if (values['key-passphrase-file'] !== undefined) {
          fileKeyPassphrase = await obtainPassphrase(io, { file: values['key-passphrase-file'], option: '--key-passphrase-file', prompt: '', confirm: false });
        }
        let info: KeyInfo;
        try {
          info = await store.importKey(args['NAME'] as string, armored, user, passphrase, fileKeyPassphrase);
        } catch (err) {
          // An encrypted key and no file given: ask on the terminal, if there is one.
          if (!(err instanceof KeyStoreError && err.code === 'KEY_PASSPHRASE_REQUIRED' && fileKeyPassphrase === undefined && io.stdin.isTTY === true)) throw err;
          fileKeyPassphrase = await obtainPassphrase(io, { file: undefined, option: '--key-passphrase-file', prompt: `Passphrase of the key in ${args['FILE']}: `, confirm: false });
          info = await store.importKey(args['NAME'] as string, armored, user, passphrase, fileKeyPassphrase);
        }
        if (values.json === true) return out(keyJson(info));
        out(describe(info));
        out(`key admin: ${user}`);
        return;
      }
      case 'key list': {
        const keys = store.listKeys();
        if (values.json === true) {
          out(JSON.stringify(keys.map((k) => ({ ...k, sigkey: sigkey(k) })), null, 2));
        } else {
          io.stdout.write(
            table([
              ['NAME', 'ALGORITHM', 'KEY ID', 'SIGKEY', 'FINGERPRINT', 'CREATED', 'EXPIRES', 'STATUS', 'USERS'],
              ...keys.map((k) => [
                k.name, `${k.algorithm}${k.bits}`, k.keyId, sigkey(k), k.fingerprint, k.created.slice(0, 10), k.expires?.slice(0, 10) ?? 'never', k.status,
                k.users.map((u) => (u.keyAdmin ? `${u.name}(admin)` : u.name)).join(','),
              ]),
            ]),
          );
        }
        return;
      }
      case 'key export-public': {
        const name = args['NAME'] as string;
        const armored = store.publicKeyArmored(name);
        if (values.output === undefined) {
          io.stdout.write(armored);
          return;
        }
        // A directory gets the file name distributions use: RPM-GPG-KEY-<name>.
        const target = isDirectory(values.output) ? path.join(values.output, `RPM-GPG-KEY-${name}`) : values.output;
        writeOutput(target, armored);
        out(`wrote ${target}`);
        return;
      }
      case 'grant': {
        const key = args['KEY'] as string;
        const user = args['USER'] as string;
        const by = keyAdmin(store, key, values.by);
        const byPassphrase = await obtainPassphrase(io, { file: values['by-passphrase-file'], option: '--by-passphrase-file', prompt: `Access passphrase of ${by} for ${key}: `, confirm: false });
        const newPassphrase = await obtainPassphrase(io, { file: values['passphrase-file'], option: '--passphrase-file', prompt: `New access passphrase for ${user}: `, confirm: true });
        await store.grant(key, user, { byUser: by, byPassphrase, newPassphrase, keyAdmin: values['key-admin'] === true });
        out(`granted key ${key} to ${user}${values['key-admin'] === true ? ' as key admin' : ''} (by ${by})`);
        return;
      }
      default:
        if (await runCustodyCommand(cmd, store, io)) return;
        throw new AdminError('USAGE', `unknown command '${cmd.command}'`);
    }
  } finally {
    store.close();
  }
}
