import { readFileBounded } from './bounded-read.ts';
import path from 'node:path';
import { z } from 'zod';
import { SignetError } from './errors.ts';

/** The config file is missing, unreadable, not JSON, too large, or does not match its schema. */
export class ConfigError extends SignetError<'CONFIG_INVALID'> {}

/** Largest config file read: configs are small; a huge file is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** One party's TLS identity and the CA bundle it trusts: three PEM files. */
export const TlsFiles = z.strictObject({
  /** This party's certificate, PEM. */
  cert: z.string().min(1),
  /** Its private key, PEM. */
  key: z.string().min(1),
  /** CA certificate(s) this party trusts for its peers, PEM. */
  ca: z.string().min(1),
  /**
   * Revocation lists of those CAs (signet-pki's crl-bundle.pem), PEM; optional. When
   * set, every peer certificate is checked against it, and a CA without a CRL in the
   * bundle fails every certificate it issued. Re-read when it changes (no restart).
   */
  crl: z.string().min(1).optional(),
});
export type TlsFiles = z.infer<typeof TlsFiles>;

/** Log verbosity, as pino names it. */
export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Validates a parsed config object against `schema` (strict: unknown keys are refused by
 * name) and resolves the TLS file paths against `baseDir`, the config file's directory.
 */
export function parseConfig<S extends z.ZodType<{ tls: TlsFiles }>>(schema: S, raw: unknown, baseDir: string, what: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError('CONFIG_INVALID', `invalid ${what} config: ${z.prettifyError(parsed.error)}`);
  const cfg = parsed.data as z.infer<S>;
  const abs = (p: string): string => path.resolve(baseDir, p);
  const tls: TlsFiles = { cert: abs(cfg.tls.cert), key: abs(cfg.tls.key), ca: abs(cfg.tls.ca) };
  if (cfg.tls.crl !== undefined) tls.crl = abs(cfg.tls.crl);
  return { ...cfg, tls };
}

/** Reads a JSON config file, bounded; `parseConfig` then validates it. */
export function readConfigFile(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileBounded(file, MAX_CONFIG_BYTES).data.toString('utf8'));
  } catch (cause) {
    throw new ConfigError('CONFIG_INVALID', `cannot read ${what} config ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** The directory relative paths in `file` resolve against. */
export const configDir = (file: string): string => path.dirname(path.resolve(file));
