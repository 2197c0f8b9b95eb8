import { z } from 'zod';
import { HostName, KeepaliveConfig, TlsFiles, bridgeEndpoint, configDir, parseConfig, readConfigFile } from '@signet/protocol';

/**
 * The client's configuration file (JSON), `--config FILE` or $SIGNET_CONFIG. Unknown keys
 * are refused; relative paths resolve against the file's directory. Documented in
 * docs/configuration.md.
 */
export const ClientConfig = z.strictObject({
  /** The bridge to dial: host, port (its client port, sigul's 44334), servername. */
  bridge: bridgeEndpoint(44334),
  /** Name pinned for the signing server: the inner TLS peer must carry it and the server role. */
  serverName: HostName,
  /** The user's certificate (role client; CN = user name) and key; the CA of bridge and server. */
  tls: TlsFiles,
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
  /** Heartbeats and dead-link detection on the link to the bridge. */
  keepalive: KeepaliveConfig,
  retry: z
    .strictObject({
      /**
       * Attempts per package (and for opening a session) when the failure is transient: the
       * link dropped, the bridge or server restarted, the bridge had no free server link.
       * Signing a header twice is harmless, so these are retried; 1 turns retries off.
       */
      maxAttempts: z.number().int().min(1).max(100).default(8),
      /** First wait before a retry, ms; doubles per attempt, with jitter. */
      initialDelayMs: z.number().int().min(10).max(60_000).default(250),
      /** Cap on the wait between retries, ms. */
      maxDelayMs: z.number().int().min(10).max(600_000).default(10_000),
    })
    .prefault({}),
});
export type ClientConfig = z.infer<typeof ClientConfig>;

export function parseClientConfig(raw: unknown, baseDir: string): ClientConfig {
  return parseConfig(ClientConfig, raw, baseDir, 'client');
}

export function loadClientConfig(file: string): ClientConfig {
  return parseClientConfig(readConfigFile(file, 'client'), configDir(file));
}
