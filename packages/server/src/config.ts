import path from 'node:path';
import { z } from 'zod';
import { KeepaliveConfig, LogConfig, TlsFiles, bridgeEndpoint, configDir, parseConfig, readConfigFile } from '@signet/protocol';

/**
 * The signing server's daemon configuration (JSON). Unknown keys are refused; relative
 * paths resolve against the config file's directory. Documented in docs/configuration.md.
 */
export const ServerConfig = z.strictObject({
  /** State directory holding signet.db (created by `signet-server admin --state DIR init`). */
  stateDir: z.string().min(1),
  /** The bridge's server port (sigul's is 44333). The server dials it; it never listens. */
  bridge: bridgeEndpoint(44333),
  /** The server's certificate (role server; its name is what clients pin) and key; the CA of bridge and clients. */
  tls: TlsFiles,
  /** Idle links kept open to the bridge, each ready to serve one client session. */
  poolSize: z.number().int().min(1).max(1024).default(4),
  limits: z
    .strictObject({
      /** Deadline for the inner TLS handshake with a client, ms. */
      handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
      /**
       * Deadline for a paired client's first byte (its TLS ClientHello, sent at once by an
       * honest client), ms. A client that is paired and says nothing frees the session slot
       * after this, not after the whole handshake deadline.
       */
      firstByteTimeoutMs: z.number().int().min(100).max(120_000).default(3_000),
      /** Largest RPM main header accepted for signing, bytes. */
      maxHeaderBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(32 * 1024 * 1024),
      /** Largest sign-data input, bytes. */
      maxDataBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
      /** Requests one session may have in flight; more wait in the session's own stream. */
      maxInFlightPerSession: z.number().int().min(1).max(4096).default(64),
      /**
       * Client sessions served at once. At the limit the server stops offering links to the
       * bridge, so further clients wait there (bounded by the bridge's own limits) instead
       * of being accepted and starved.
       */
      maxSessions: z.number().int().min(1).max(10_000).default(64),
      /** Sessions one user may hold at once; more are answered SERVER_BUSY (retryable). */
      maxSessionsPerUser: z.number().int().min(1).max(10_000).default(16),
      /** Requests in flight across all sessions; more are answered SERVER_BUSY (retryable). */
      maxInFlight: z.number().int().min(1).max(100_000).default(512),
      /** A session with no request in flight and none received for this long is closed, ms. */
      sessionIdleMs: z.number().int().min(1000).max(86_400_000).default(120_000),
      /**
       * Longest life of a client session, ms, busy or not. The keys it unlocked leave memory
       * with it; a client that still has work opens a new session and unlocks again.
       */
      sessionLifetimeMs: z.number().int().min(1000).max(604_800_000).default(3_600_000),
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
  /** Heartbeats and dead-link detection on every link to the bridge. */
  keepalive: KeepaliveConfig,
  /**
   * Optional binding: key passphrases are also sealed with a secret file kept outside the
   * database (e.g. on removable media); the store must have been created with it.
   */
  binding: z.strictObject({ file: z.string().min(1) }).optional(),
  unlock: z
    .strictObject({
      /** Failed unlocks of one grant before it is locked until `admin user unlock`. */
      lockoutAfter: z.number().int().min(1).max(1000).default(10),
    })
    .prefault({}),
  log: LogConfig,
});
export type ServerConfig = z.infer<typeof ServerConfig>;

/** The state directory resolves against the config file's directory, like the TLS files. */
export function parseServerConfig(raw: unknown, baseDir: string): ServerConfig {
  const c = parseConfig(ServerConfig, raw, baseDir, 'server');
  return { ...c, stateDir: path.resolve(baseDir, c.stateDir), ...(c.binding ? { binding: { file: path.resolve(baseDir, c.binding.file) } } : {}) };
}

export function loadServerConfig(file: string): ServerConfig {
  return parseServerConfig(readConfigFile(file, 'server'), configDir(file));
}
