import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BridgeError } from './errors.ts';

const Port = z.number().int().min(0).max(65535);

/**
 * The bridge's configuration file (JSON). Unknown keys are refused. Relative paths are
 * resolved against the directory of the config file. Every field is documented with its
 * default in docs/configuration.md.
 */
export const BridgeConfig = z.strictObject({
  listen: z
    .strictObject({
      /** Address both listeners bind to. */
      host: z.string().min(1).max(255).default('0.0.0.0'),
      /** Port clients connect to (sigul's is 44334). 0 picks a free port. */
      clientPort: Port.default(44334),
      /** Port the server dials (sigul's is 44333). 0 picks a free port. */
      serverPort: Port.default(44333),
    })
    .prefault({}),
  tls: z.strictObject({
    /** The bridge's certificate (role bridge), PEM. */
    cert: z.string().min(1),
    /** Its private key, PEM. */
    key: z.string().min(1),
    /** CA certificate(s) that issue clients' and the server's certificates, PEM. */
    ca: z.string().min(1),
  }),
  limits: z
    .strictObject({
      /** Clients allowed to wait for a free server link at once; more are told BRIDGE_BUSY. */
      maxWaitingClients: z.number().int().min(1).max(100_000).default(256),
      /** How long a client waits for a free server link, ms. */
      pairTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      /** Idle server links kept at once; more are refused. */
      maxServerLinks: z.number().int().min(1).max(10_000).default(256),
      /** TLS handshake deadline on both ports, ms. */
      handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});
export type BridgeConfig = z.infer<typeof BridgeConfig>;

/** Largest config file read. */
const MAX_CONFIG = 256 * 1024;

export function parseBridgeConfig(raw: unknown, baseDir: string): BridgeConfig {
  const parsed = BridgeConfig.safeParse(raw);
  if (!parsed.success) {
    throw new BridgeError('CONFIG_INVALID', `invalid bridge config: ${z.prettifyError(parsed.error)}`);
  }
  const cfg = parsed.data;
  const abs = (p: string): string => path.resolve(baseDir, p);
  return { ...cfg, tls: { cert: abs(cfg.tls.cert), key: abs(cfg.tls.key), ca: abs(cfg.tls.ca) } };
}

export function loadBridgeConfig(file: string): BridgeConfig {
  let raw: unknown;
  try {
    const text = readFileSync(file);
    if (text.length > MAX_CONFIG) throw new Error(`larger than ${MAX_CONFIG} bytes`);
    raw = JSON.parse(text.toString('utf8'));
  } catch (cause) {
    throw new BridgeError('CONFIG_INVALID', `cannot read bridge config ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseBridgeConfig(raw, path.dirname(path.resolve(file)));
}
