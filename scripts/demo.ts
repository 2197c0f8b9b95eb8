/**
 * Quick start: a throwaway Signet deployment on loopback that signs packages for real.
 *
 *   npm run demo -- [--out DIR] [--key-type rsa4096|ed25519] [--keep] [RPM...]
 *
 * Makes a CA and certificates, a server state with one key and one user, starts the real
 * bridge and server as separate processes on ephemeral loopback ports, signs the packages
 * (default: the samples in samples/rpms) with the real client, writes the signed copies
 * and DIR/RPM-GPG-KEY-<key>, checks each with `rpmkeys -Kv` (or, without rpm installed,
 * with Signet's own verifier, and says so), stops everything, and exits non-zero on any
 * failure.
 */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/run.ts';
import { createDeployment, startBridge, startServer, writeEndpointConfigs, client } from './lib/deployment.ts';
import { verifyWithRpmkeys, rpmkeysAvailable, verifyWithSignet } from './lib/verify-rpm.ts';

const say = (msg: string): void => void process.stdout.write(`${msg}\n`);
const indent = (text: string): string => (text.trim() === '' ? '' : `${text.trimEnd().replace(/^/gm, '    ')}\n`);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      out: { type: 'string' },
      'key-type': { type: 'string', default: 'rsa4096' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    say('usage: npm run demo -- [--out DIR] [--key-type rsa4096|ed25519] [--keep] [RPM...]');
    return 0;
  }
  const keyType = values['key-type'];
  if (keyType !== 'rsa4096' && keyType !== 'ed25519') throw new Error(`--key-type must be rsa4096 or ed25519, not ${keyType}`);
  const samples = path.join(ROOT, 'samples', 'rpms');
  const rpms = positionals.length > 0 ? positionals.map((p) => path.resolve(p)) : readdirSync(samples).filter((f) => f.endsWith('.rpm')).map((f) => path.join(samples, f));
  for (const f of rpms) if (!existsSync(f) || !statSync(f).isFile()) throw new Error(`no such package: ${f}`);
  const out = path.resolve(values.out ?? mkdtempSync(path.join(os.tmpdir(), 'signet-demo-out-')));
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'signet-demo-'));

  say(`Signet demo: ${rpms.length} package(s), ${keyType} key, work dir ${work}`);
  const started: { stop(): Promise<void> }[] = [];
  try {
    say('1/5 minting a CA and certificates, creating the server state, key and user…');
    const dep = await createDeployment({ dir: work, keyName: 'demo', keyType, argon2: 'interactive' });

    say('2/5 starting signet-bridge (listens) and signet-server (dials out)…');
    const bridge = await startBridge(dep);
    started.push(bridge);
    writeEndpointConfigs(dep, bridge);
    started.push(await startServer(dep));
    say(`    bridge on 127.0.0.1:${bridge.clientPort} (clients) and :${bridge.serverPort} (server)`);

    say('3/5 signing with the real client (headers only travel, end-to-end encrypted)…');
    const signed = await client(dep, ['sign-rpm', '--key', dep.keyName, '--passphrase-file', dep.passphraseFile, '-o', out, ...rpms]);
    process.stdout.write(indent(signed.stdout));
    process.stderr.write(signed.stderr);
    if (signed.code !== 0) throw new Error(`signet sign-rpm failed with exit ${signed.code}`);

    const keyFile = path.join(out, `RPM-GPG-KEY-${dep.keyName}`);
    const pub = await client(dep, ['get-public-key', dep.keyName, '-o', keyFile]);
    if (pub.code !== 0) throw new Error(`signet get-public-key failed: ${pub.stderr}`);
    say(`4/5 public key written to ${keyFile}`);

    const outputs = rpms.map((f) => path.join(out, path.basename(f)));
    if (rpmkeysAvailable()) {
      say('5/5 checking every signed package with rpmkeys -Kv (rpm, not Signet):');
      const results = await Promise.all(outputs.map((f) => verifyWithRpmkeys(f, keyFile)));
      let bad = 0;
      for (const r of results) {
        process.stdout.write(indent(r.output));
        if (!r.ok) bad++;
      }
      if (bad > 0) throw new Error(`${bad} package(s) failed rpmkeys -Kv`);
    } else {
      say('5/5 rpmkeys is not installed: checking with Signet\'s own verifier instead (install rpm for an independent check):');
      for (const f of outputs) {
        await verifyWithSignet(f, keyFile);
        say(`    ${f}: header signature OK (Signet verifier)`);
      }
    }
    say(`Done: signed packages and RPM-GPG-KEY-${dep.keyName} are in ${out}`);
    return 0;
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
