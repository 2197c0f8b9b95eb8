import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isSignetError } from '@signet/protocol';
import { loadClientConfig, type ClientConfig } from './config.ts';
import { ClientError } from './errors.ts';
import { readPassphrase, readNewPassphrase } from './passphrase.ts';
import { changePassphrase } from './commands/change-passphrase.ts';
import { withSession } from './session.ts';
import { SessionKeeper } from './session-keeper.ts';
import { whoami, ping, listKeys, getPublicKey, formatKeys } from './commands/info.ts';
import { signData } from './commands/sign-data.ts';
import { signRpms, type SignRpmResult } from './commands/sign-rpm.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { runKojiCommand } from './commands/koji-cli.ts';
import { readFileList } from './file-list.ts';

export const USAGE = `usage: signet [--config FILE] COMMAND [options]

commands:
  sign-rpm --key NAME (-o DIR | --in-place) [--passphrase-file F] [--jobs N] [--no-verify-payload] [--json]
           (FILE... | --files-from LIST)
  sign-data --key NAME [--armor] -o OUT [--passphrase-file F] FILE
  change-passphrase KEY [--passphrase-file CURRENT] [--new-passphrase-file NEW]
  get-public-key NAME [-o FILE]
  list-keys [--json]
  whoami
  ping [--json]
  sign-tag TAG --key NAME [--koji PROFILE] [--koji-config FILE] [--latest|--all] [--inherit]
           [--arch A,...] [--dry-run] [--move-to TAG2] [--jobs N] [--passphrase-file F] [--json]
  sign-build NVR... --key NAME [--koji PROFILE] [--koji-config FILE] [--arch A,...] [--dry-run]
           [--jobs N] [--passphrase-file F] [--json]
  check-tag TAG --key NAME [--koji PROFILE] [--koji-config FILE] [--latest|--all] [--inherit] [--arch A,...] [--json]

The config file defaults to $SIGNET_CONFIG, else ~/.config/signet/client.json.
Exit status: 0 success, 1 failure (each failure listed), 2 usage or configuration error.
`;

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Where `--files-from -` reads; default process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

const OPTIONS = {
  config: { type: 'string' },
  key: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'in-place': { type: 'boolean' },
  'passphrase-file': { type: 'string' },
  'new-passphrase-file': { type: 'string' },
  'no-verify-payload': { type: 'boolean' },
  armor: { type: 'boolean' },
  json: { type: 'boolean' },
  jobs: { type: 'string' },
  'files-from': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  // Koji commands (sign-tag, sign-build, check-tag).
  koji: { type: 'string' },
  'koji-config': { type: 'string' },
  latest: { type: 'boolean' },
  all: { type: 'boolean' },
  inherit: { type: 'boolean' },
  arch: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'move-to': { type: 'string' },
} as const;

/** Runs one `signet` invocation; returns the exit status. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr.write(`signet: USAGE: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, ...args] = positionals;
  if (v.help || command === undefined || command === 'help') {
    (command === undefined && !v.help ? io.stderr : io.stdout).write(USAGE);
    return command === undefined && !v.help ? 2 : 0;
  }
  try {
    const config = loadClientConfig(v.config ?? io.env['SIGNET_CONFIG'] ?? path.join(os.homedir(), '.config', 'signet', 'client.json'));
    return await dispatch(command, args, v, config, io);
  } catch (err) {
    const code = isSignetError(err) ? err.code : 'INTERNAL';
    io.stderr.write(`signet: ${code}: ${(err as Error).message}\n`);
    return code === 'USAGE' || code === 'CONFIG_INVALID' ? 2 : 1;
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function dispatch(command: string, args: string[], v: Values, config: ClientConfig, io: Io): Promise<number> {
  const need = (cond: unknown, what: string): void => {
    if (!cond) throw new ClientError('USAGE', `${command}: ${what}`);
  };
  switch (command) {
    case 'whoami':
      need(args.length === 0, 'takes no arguments');
      io.stdout.write(`${await withSession(config, whoami)}\n`);
      return 0;
    case 'ping': {
      need(args.length === 0, 'takes no arguments');
      const r = await withSession(config, ping);
      io.stdout.write(v.json ? `${JSON.stringify(r)}\n` : `${r.server}: round trip ${r.rttMs.toFixed(1)} ms\n`);
      return 0;
    }
    case 'list-keys': {
      need(args.length === 0, 'takes no arguments');
      const keys = await withSession(config, listKeys);
      io.stdout.write(v.json ? `${JSON.stringify(keys)}\n` : formatKeys(keys));
      return 0;
    }
    case 'get-public-key': {
      need(args.length === 1, 'needs exactly one key name');
      const armored = await withSession(config, (rpc) => getPublicKey(rpc, args[0] as string));
      if (v.output) writeFileAtomic(v.output, armored);
      else io.stdout.write(armored);
      return 0;
    }
    case 'change-passphrase': {
      need(args.length === 1, 'needs exactly one key name');
      const key = args[0] as string;
      const current = await readPassphrase(v['passphrase-file'], `current access passphrase for key ${key}: `);
      const next = await readNewPassphrase(v['new-passphrase-file'], key);
      await withSession(config, (rpc) => changePassphrase(rpc, key, current, next));
      io.stdout.write(`access passphrase for key ${key} changed\n`);
      return 0;
    }
    case 'sign-data': {
      need(v.key, '--key NAME is required');
      need(v.output, '-o OUT is required');
      need(args.length === 1, 'needs exactly one input file');
      const passphrase = await readPassphrase(v['passphrase-file'], `access passphrase for key ${v.key}: `);
      const keeper = new SessionKeeper(config, v.key as string, passphrase);
      try {
        await signData(keeper, { input: args[0] as string, output: v.output as string, armor: v.armor === true, maxDataBytes: config.limits.maxDataBytes, retry: config.retry });
      } finally {
        keeper.close();
      }
      io.stdout.write(`signed ${args[0]} -> ${v.output}\n`);
      return 0;
    }
    case 'sign-rpm': {
      need(v.key, '--key NAME is required');
      need(Boolean(v.output) !== Boolean(v['in-place']), 'give exactly one of -o DIR and --in-place');
      need(!v.output || existsSync(v.output), `output directory ${v.output} does not exist`);
      const jobs = v.jobs === undefined ? config.limits.inFlight : Number(v.jobs);
      need(Number.isInteger(jobs) && jobs >= 1 && jobs <= 1024, '--jobs must be 1..1024');
      const list = v['files-from'];
      // The passphrase prompt needs the terminal on standard input.
      need(list !== '-' || v['passphrase-file'] !== undefined, '--files-from - reads standard input: give the passphrase with --passphrase-file');
      // Read last: a usage error above is reported without reading a long list first.
      const files = [...args, ...(list === undefined ? [] : await readFileList(list, io.stdin ?? process.stdin))];
      need(files.length > 0, 'needs at least one package (FILE... or --files-from LIST)');
      const passphrase = await readPassphrase(v['passphrase-file'], `access passphrase for key ${v.key}: `);
      const keeper = new SessionKeeper(config, v.key as string, passphrase);
      let failed = 0;
      let total = 0;
      // Each package is reported as soon as it is done, so a long batch shows progress
      // and a crash of this process loses no report of what was already written.
      const report = (r: SignRpmResult): void => {
        total++;
        if (v.json) io.stdout.write(`${JSON.stringify(r)}\n`);
        if (r.ok) {
          if (!v.json) io.stdout.write(`signed ${r.file} -> ${r.output} (key ${r.keyId})\n`);
        } else {
          failed++;
          io.stderr.write(`signet: ${r.file}: ${r.code}: ${r.message}\n`);
        }
      };
      try {
        await signRpms(keeper, {
          files,
          outDir: v.output,
          inPlace: v['in-place'] === true,
          jobs,
          maxHeaderBytes: config.limits.maxHeaderBytes,
          verifyPayload: v['no-verify-payload'] !== true,
          retry: config.retry,
          onResult: report,
          onRetry: (file, err, attempt) =>
            io.stderr.write(`signet: ${file}: ${isSignetError(err) ? err.code : 'ERROR'}: ${(err as Error).message}; retrying (attempt ${attempt + 1} of ${config.retry.maxAttempts})\n`),
        });
      } finally {
        keeper.close();
      }
      if (failed > 0) io.stderr.write(`signet: ${failed} of ${total} packages failed\n`);
      return failed > 0 ? 1 : 0;
    }
    // Koji commands: see commands/koji-cli.ts (they report and choose their exit status).
    case 'sign-tag':
    case 'sign-build':
    case 'check-tag':
      return runKojiCommand(command, args, v, config, io);
    default:
      throw new ClientError('USAGE', `unknown command '${command}'`);
  }
}
