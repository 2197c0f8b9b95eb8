import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ClientError } from './errors.ts';

/**
 * The client's configuration file (JSON), `--config FILE` or $SIGNET_CONFIG. Unknown keys
 * are refused; relative paths resolve against the file's directory. Documented in
 * docs/configuration.md.
 */
export const ClientConfig = z.strictObject({
  bridge: z.strictObject({
    /** Bridge host name or address. */
    host: z.string().min(1).max(255),
    /** The bridge's client port (sigul's is 44334). */
    port: z.number().int().min(1).max(65535).default(44334),
    /** Name expected in the bridge's certificate; defaults to host. */
    servername: z.string().min(1).max(255).optional(),
  }),
  /** Name pinned for the signing server: the inner TLS peer must carry it and the server role. */
  serverName: z.string().min(1).max(255),
  tls: z.strictObject({
    /** The user's certificate (role client; CN = user name), PEM. */
    cert: z.string().min(1),
    key: z.string().min(1),
    /** CA certificate(s) of the bridge and the server. */
    ca: z.string().min(1),
  }),
  limits: z
    .strictObject({
      /** Deadline to reach the bridge and finish its TLS handshake, ms. */
      connectTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
      /** Deadline to be paired with a server link and finish the inner handshake, ms. */
      sessionTimeoutMs: z.number().int().min(100).max(600_000).default(60_000),
      /** Deadline for one request, ms. Unlocking a key runs Argon2id, which takes a while. */
      requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
      /** Requests kept in flight at once by sign-rpm. */
      inFlight: z.number().int().min(1).max(1024).default(16),
      /** Largest main header read from a package, bytes. */
      maxHeaderBytes: z.number().int().min(1024).max(256 * 1024 * 1024 - 1).default(32 * 1024 * 1024),
      /** Largest sign-data input, bytes. */
      maxDataBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    })
    .prefault({}),
});
export type ClientConfig = z.infer<typeof ClientConfig>;

const MAX_CONFIG = 256 * 1024;

export function parseClientConfig(raw: unknown, baseDir: string): ClientConfig {
  const parsed = ClientConfig.safeParse(raw);
  if (!parsed.success) throw new ClientError('CONFIG_INVALID', `invalid client config: ${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  const abs = (p: string): string => path.resolve(baseDir, p);
  return { ...c, tls: { cert: abs(c.tls.cert), key: abs(c.tls.key), ca: abs(c.tls.ca) } };
}

export function loadClientConfig(file: string): ClientConfig {
  let raw: unknown;
  try {
    const text = readFileSync(file);
    if (text.length > MAX_CONFIG) throw new Error(`larger than ${MAX_CONFIG} bytes`);
    raw = JSON.parse(text.toString('utf8'));
  } catch (cause) {
    throw new ClientError('CONFIG_INVALID', `cannot read client config ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseClientConfig(raw, path.dirname(path.resolve(file)));
}
