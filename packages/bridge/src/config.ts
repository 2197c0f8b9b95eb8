import { z } from 'zod';
import { HostName, KeepaliveConfig, ListenPort, LogConfig, TlsFiles, configDir, parseConfig, readConfigFile } from '@signet/protocol';

/**
 * The bridge's configuration file (JSON). Unknown keys are refused. Relative paths are
 * resolved against the directory of the config file. Every field is documented with its
 * default in docs/configuration.md.
 */
export const BridgeConfig = z.strictObject({
  listen: z
    .strictObject({
      /** Address both listeners bind to. */
      host: HostName.default('0.0.0.0'),
      /** Port clients connect to (sigul's is 44334). 0 picks a free port. */
      clientPort: ListenPort.default(44334),
      /** Port the server dials (sigul's is 44333). 0 picks a free port. */
      serverPort: ListenPort.default(44333),
    })
    .prefault({}),
  /** The bridge's certificate (role bridge) and key; the CA that issues clients' and the server's. */
  tls: TlsFiles,
  limits: z
    .strictObject({
      /** Clients allowed to wait for a free server link at once; more are told BRIDGE_BUSY. */
      maxWaitingClients: z.number().int().min(1).max(100_000).default(256),
      /**
       * Client links one certificate name may hold at once (waiting or in a session); more
       * are told BRIDGE_BUSY. Stops one user's certificate from taking every server link.
       */
      maxLinksPerUser: z.number().int().min(1).max(100_000).default(32),
      /** How long a client waits for a free server link, ms. */
      pairTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      /** Idle server links kept at once; more are refused. */
      maxServerLinks: z.number().int().min(1).max(10_000).default(256),
      /** TLS handshake deadline on both ports, ms. */
      handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
      /** Deadline for an idle server link to answer a ping before a client is paired with it, ms. */
      probeTimeoutMs: z.number().int().min(50).max(60_000).default(3_000),
    })
    .prefault({}),
  /** Heartbeats and dead-link detection on every link (clients and server). */
  keepalive: KeepaliveConfig,
  /** Prometheus metrics over plain HTTP on a listener of its own; off unless a port is set. */
  metrics: z
    .strictObject({
      /** Address of the metrics listener; keep it on loopback or a management network. */
      host: HostName.default('127.0.0.1'),
      /** Port of the metrics listener (GET /metrics); null turns it off, 0 picks a free port. */
      port: ListenPort.nullable().default(null),
    })
    .prefault({}),
  log: LogConfig,
});
export type BridgeConfig = z.infer<typeof BridgeConfig>;

export function parseBridgeConfig(raw: unknown, baseDir: string): BridgeConfig {
  return parseConfig(BridgeConfig, raw, baseDir, 'bridge');
}

export function loadBridgeConfig(file: string): BridgeConfig {
  return parseBridgeConfig(readConfigFile(file, 'bridge'), configDir(file));
}
