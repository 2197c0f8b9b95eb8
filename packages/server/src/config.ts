import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ServerError } from './errors.ts';

/**
 * The signing server's daemon configuration (JSON). Unknown keys are refused; relative
 * paths resolve against the config file's directory. Documented in docs/configuration.md.
 */
export const ServerConfig = z.strictObject({
  /** State directory holding signet.db (created by `signet-server admin --state DIR init`). */
  stateDir: z.string().min(1),
  /** The bridge's server port. The server dials it; it never listens. */
  bridge: z.strictObject({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535).default(44333),
    /** Name expected in the bridge's certificate; defaults to host. */
    servername: z.string().min(1).max(255).optional(),
  }),
  tls: z.strictObject({
    /** The server's certificate (role server), PEM. Its name is what clients pin. */
    cert: z.string().min(1),
    key: z.string().min(1),
    /** CA certificate(s) that issue the bridge's and the clients' certificates. */
    ca: z.string().min(1),
  }),
  /** Idle links kept open to the bridge, each ready to serve one client session. */
  poolSize: z.number().int().min(1).max(1024).default(4),
  limits: z
    .strictObject({
      /** Deadline for the inner TLS handshake with a client, ms. */
      handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
      /** Largest RPM main header accepted for signing, bytes. */
      maxHeaderBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(32 * 1024 * 1024),
      /** Largest sign-data input, bytes. */
      maxDataBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
      /** Requests one session may have in flight; more wait in the session's own stream. */
      maxInFlightPerSession: z.number().int().min(1).max(4096).default(64),
    })
    .prefault({}),
  reconnect: z
    .strictObject({
      /** First redial delay after a failure, ms; doubles per failure, with jitter. */
      initialDelayMs: z.number().int().min(10).max(60_000).default(500),
      /** Cap on the redial delay, ms. */
      maxDelayMs: z.number().int().min(100).max(600_000).default(30_000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

const MAX_CONFIG = 256 * 1024;

export function parseServerConfig(raw: unknown, baseDir: string): ServerConfig {
  const parsed = ServerConfig.safeParse(raw);
  if (!parsed.success) throw new ServerError('CONFIG_INVALID', `invalid server config: ${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  const abs = (p: string): string => path.resolve(baseDir, p);
  return { ...c, stateDir: abs(c.stateDir), tls: { cert: abs(c.tls.cert), key: abs(c.tls.key), ca: abs(c.tls.ca) } };
}

export function loadServerConfig(file: string): ServerConfig {
  let raw: unknown;
  try {
    const text = readFileSync(file);
    if (text.length > MAX_CONFIG) throw new Error(`larger than ${MAX_CONFIG} bytes`);
    raw = JSON.parse(text.toString('utf8'));
  } catch (cause) {
    throw new ServerError('CONFIG_INVALID', `cannot read server config ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseServerConfig(raw, path.dirname(path.resolve(file)));
}
