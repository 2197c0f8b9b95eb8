#!/usr/bin/env node
/**
 * signet-server: the air-gapped signing server.
 *   signet-server run --config FILE     dial the bridge and serve signing sessions
 *   signet-server admin --state DIR …   console administration (no network at all)
 */
import { parseArgs } from 'node:util';
import { createLogger, isSignetError } from '@signet/protocol';
import { runAdmin } from './admin/index.ts';
import { KeyStore } from './keystore/index.ts';
import { loadServerConfig } from './config.ts';
import { keyStoreBackend } from './keystore-backend.ts';
import { createSigningServer } from './server.ts';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

const USAGE = `usage:
  signet-server run --config FILE
  signet-server admin --state DIR COMMAND …   (signet-server admin --help)
`;

async function run(argv: string[]): Promise<number> {
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`signet-server: USAGE: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.config) {
    process.stderr.write(`signet-server: USAGE: run needs --config FILE\n${USAGE}`);
    return 2;
  }
  const config = loadServerConfig(values.config);
  const log = createLogger('signet-server', config.log.level);
  const store = await KeyStore.open(config.stateDir, {
    ...(config.binding ? { bindingFile: config.binding.file } : {}),
    unlockLimits: { lockoutAfter: config.unlock.lockoutAfter },
  });
  // The name clients pin is the one in our own certificate.
  const serverName = new X509Certificate(readFileSync(config.tls.cert)).subject.match(/CN=([^\n]+)/)?.[1] ?? 'signet-server';
  const server = createSigningServer(config, keyStoreBackend(store, serverName), log);
  server.start();
  log.info({ event: 'started', bridge: `${config.bridge.host}:${config.bridge.port}`, poolSize: config.poolSize }, 'signing server started; dialling the bridge');
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  log.info({ event: 'stopping' }, 'signing server stopping');
  server.stop();
  store.close();
  return 0;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'run':
      return run(rest);
    case 'admin':
      return runAdmin(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`signet-server: USAGE: ${command === undefined ? 'no command' : `unknown command '${command}'`}\n${USAGE}`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = isSignetError(err) ? err.code : 'INTERNAL';
    process.stderr.write(`signet-server: ${code}: ${(err as Error).message}\n`);
    process.exit(code === 'CONFIG_INVALID' ? 2 : 1);
  },
);
