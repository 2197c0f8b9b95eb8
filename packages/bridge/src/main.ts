#!/usr/bin/env node
/**
 * signet-bridge: the relay between clients and the signing server. It only accepts
 * connections. Usage: signet-bridge --config FILE
 */
import { parseArgs } from 'node:util';
import { createLogger, isSignetError } from '@signet/protocol';
import { loadBridgeConfig } from './config.ts';
import { createBridge } from './bridge.ts';

const USAGE = 'usage: signet-bridge --config FILE';

async function main(): Promise<number> {
  let configFile: string | undefined;
  try {
    const { values } = parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    configFile = values.config;
  } catch (err) {
    process.stderr.write(`signet-bridge: USAGE: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!configFile) {
    process.stderr.write(`signet-bridge: USAGE: --config is required\n${USAGE}\n`);
    return 2;
  }
  const config = loadBridgeConfig(configFile);
  const log = createLogger('signet-bridge', config.log.level);
  const bridge = createBridge(config, log);
  const ports = await bridge.start();
  log.info({ event: 'listening', host: config.listen.host, ...ports }, 'bridge listening');
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  log.info({ event: 'stopping' }, 'bridge stopping');
  await bridge.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = isSignetError(err) ? err.code : 'INTERNAL';
    process.stderr.write(`signet-bridge: ${code}: ${(err as Error).message}\n`);
    process.exit(isSignetError(err, 'CONFIG_INVALID') ? 2 : 1);
  },
);
